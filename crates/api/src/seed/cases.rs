//! Demo cases: fictional families and single clients across the municipalities, worked by the
//! demo case manager, in every status, including two exceptions to the intake rule.

use chrono::NaiveDate;
use kim_domain::case::{
    CaseStatus, CaseTransition, CloseReason, IntakeChannel, OtherCaseManagement, TargetGroup, Topic,
};
use kim_domain::client::ResidenceStatus;
use kim_domain::reference::LegalDomain;
use kim_domain::Role;
use kim_store::audit::Actor;
use kim_store::cases::{self, CaseData, CaseFilter, CaseSort, Intake};
use kim_store::clients::{self, ClientData};
use kim_store::{municipalities, users, DbConn, StoreError};

/// (year, month, day)
type Day = (i32, u32, u32);
/// A status move after intake: (status, date, close reason).
type Move = (CaseStatus, Day, Option<CloseReason>);

/// (given name, birth year, languages, residence status)
type Person = (
    &'static str,
    i32,
    &'static [&'static str],
    Option<ResidenceStatus>,
);

struct Demo {
    municipality: &'static str,
    people: &'static [Person],
    group: TargetGroup,
    domains: &'static [LegalDomain],
    topics: &'static [Topic],
    arrived: (i32, u32, u32),
    opened: (i32, u32, u32),
    path: &'static [Move],
    justification: Option<&'static str>,
}

use CaseStatus::{Active, Closed, Paused};
use LegalDomain::{AsylbLG, AufenthG, SgbII, SgbVIII, SgbXII};
use ResidenceStatus as R;
use Topic::*;

const ACTIVE_SINCE_SPRING: &[Move] = &[(Active, (2026, 3, 2), None)];

const CASES: &[Demo] = &[
    Demo { municipality: "Siegburg", people: &[("Amina", 1990, &["ar", "de"], Some(R::RecognisedRefugee)), ("Omar", 2021, &["ar"], Some(R::RecognisedRefugee))], group: TargetGroup::MultilingualChildrenWithLanguageDisorders, domains: &[SgbVIII, SgbII], topics: &[Language, Childcare], arrived: (2024, 9, 1), opened: (2026, 2, 2), path: ACTIVE_SINCE_SPRING, justification: None },
    Demo { municipality: "Siegburg", people: &[("Yusuf", 1985, &["tr"], Some(R::ThirdCountryWithPermit))], group: TargetGroup::NewArrivals, domains: &[SgbII, AufenthG], topics: &[Work, Residence], arrived: (2024, 1, 15), opened: (2026, 1, 12), path: ACTIVE_SINCE_SPRING, justification: None },
    Demo { municipality: "Troisdorf", people: &[("Nadia", 1994, &["uk", "ru"], Some(R::Other)), ("Sofia", 2019, &["uk"], Some(R::Other))], group: TargetGroup::NewArrivals, domains: &[SgbII, SgbVIII], topics: &[Childcare, Language, Housing], arrived: (2025, 3, 10), opened: (2026, 1, 20), path: ACTIVE_SINCE_SPRING, justification: None },
    Demo { municipality: "Troisdorf", people: &[("Samir", 1979, &["fa"], Some(R::Tolerated))], group: TargetGroup::NewArrivals, domains: &[AsylbLG, AufenthG], topics: &[Residence, Health], arrived: (2024, 6, 1), opened: (2025, 11, 3), path: &[(Active, (2025, 11, 10), None), (Paused, (2026, 4, 1), None)], justification: None },
    Demo { municipality: "Sankt Augustin", people: &[("Leyla", 1988, &["ku", "tr"], Some(R::AsylumSeeker))], group: TargetGroup::NewArrivals, domains: &[AsylbLG], topics: &[Language, Housing], arrived: (2025, 8, 20), opened: (2026, 3, 16), path: &[], justification: None },
    Demo { municipality: "Bornheim", people: &[("Mariam", 1992, &["ti"], Some(R::RecognisedRefugee)), ("Abel", 2020, &["ti"], Some(R::RecognisedRefugee)), ("Hanna", 2022, &["ti"], Some(R::RecognisedRefugee))], group: TargetGroup::MultilingualChildrenWithLanguageDisorders, domains: &[SgbVIII, SgbII], topics: &[Language, Childcare, Family], arrived: (2024, 4, 1), opened: (2025, 10, 6), path: &[(Active, (2025, 10, 13), None)], justification: None },
    Demo { municipality: "Meckenheim", people: &[("Piotr", 1983, &["pl"], Some(R::EuCitizen))], group: TargetGroup::NewArrivals, domains: &[SgbII], topics: &[Work], arrived: (2025, 2, 1), opened: (2025, 9, 1), path: &[(Active, (2025, 9, 8), None), (Closed, (2026, 5, 29), Some(CloseReason::GoalsAchieved))], justification: None },
    Demo { municipality: "Rheinbach", people: &[("Fatima", 1975, &["ar"], Some(R::RecognisedRefugee))], group: TargetGroup::Other, domains: &[SgbXII], topics: &[Health, Housing], arrived: (2016, 5, 1), opened: (2026, 2, 23), path: ACTIVE_SINCE_SPRING, justification: Some("Lives alone since her husband died; no other support reaches her; referred by the social office.") },
    Demo { municipality: "Königswinter", people: &[("Ahmad", 2004, &["ps", "fa"], Some(R::AsylumSeeker))], group: TargetGroup::NewArrivals, domains: &[SgbIII, AsylbLG], topics: &[Education, Work], arrived: (2025, 1, 5), opened: (2025, 12, 1), path: &[(Active, (2025, 12, 8), None), (Closed, (2026, 6, 15), Some(CloseReason::MovedAway))], justification: None },
    Demo { municipality: "Hennef (Sieg)", people: &[("Olena", 1987, &["uk"], Some(R::Other)), ("Maksym", 2016, &["uk"], Some(R::Other))], group: TargetGroup::NewArrivals, domains: &[SgbII, SgbVIII], topics: &[Language, Education], arrived: (2025, 5, 2), opened: (2026, 4, 13), path: ACTIVE_SINCE_SPRING_LATE, justification: None },
    Demo { municipality: "Siegburg", people: &[("Kwame", 1991, &["en", "tw"], Some(R::ThirdCountryWithPermit))], group: TargetGroup::NewArrivals, domains: &[SgbII, AufenthG], topics: &[Naturalisation, Work], arrived: (2018, 7, 1), opened: (2026, 5, 4), path: &[(Active, (2026, 5, 11), None)], justification: Some("Naturalisation within reach; the Jobcenter's case management ended last year.") },
    Demo { municipality: "Lohmar", people: &[("Dilan", 1999, &["ku"], Some(R::RecognisedRefugee))], group: TargetGroup::NewArrivals, domains: &[SgbII], topics: &[Work, Language], arrived: (2024, 11, 1), opened: (2026, 6, 1), path: &[(Closed, (2026, 6, 20), Some(CloseReason::Declined))], justification: None },
    Demo { municipality: "Niederkassel", people: &[("Aylin", 1996, &["tr", "de"], Some(R::ThirdCountryWithPermit)), ("Can", 2021, &["tr"], Some(R::ThirdCountryWithPermit))], group: TargetGroup::MultilingualChildrenWithLanguageDisorders, domains: &[SgbVIII], topics: &[Language, Childcare], arrived: (2024, 8, 1), opened: (2026, 2, 23), path: ACTIVE_SINCE_SPRING, justification: None },
    Demo { municipality: "Alfter", people: &[("Hassan", 1982, &["ar"], Some(R::RecognisedRefugee))], group: TargetGroup::NewArrivals, domains: &[SgbII], topics: &[Work, Language], arrived: (2024, 2, 1), opened: (2025, 10, 20), path: &[(Active, (2025, 10, 27), None), (Closed, (2026, 4, 30), Some(CloseReason::HandedOver))], justification: None },
    Demo { municipality: "Swisttal", people: &[("Iryna", 1970, &["uk"], Some(R::Other))], group: TargetGroup::NewArrivals, domains: &[SgbXII], topics: &[Health, Housing], arrived: (2025, 4, 1), opened: (2026, 1, 26), path: ACTIVE_SINCE_SPRING, justification: None },
    Demo { municipality: "Wachtberg", people: &[("Tesfay", 1998, &["ti", "en"], Some(R::AsylumSeeker))], group: TargetGroup::NewArrivals, domains: &[AsylbLG, AufenthG], topics: &[Residence, Language], arrived: (2025, 10, 1), opened: (2026, 7, 6), path: &[], justification: None },
    Demo { municipality: "Bad Honnef", people: &[("Zainab", 1989, &["fa", "de"], Some(R::RecognisedRefugee)), ("Reza", 1986, &["fa"], Some(R::RecognisedRefugee)), ("Sara", 2017, &["fa", "de"], Some(R::RecognisedRefugee))], group: TargetGroup::NewArrivals, domains: &[SgbII, SgbVIII], topics: &[Family, Education, Housing], arrived: (2024, 3, 15), opened: (2025, 12, 15), path: &[(Active, (2026, 1, 5), None)], justification: None },
    Demo { municipality: "Eitorf", people: &[("Mihai", 1993, &["ro"], Some(R::EuCitizen))], group: TargetGroup::NewArrivals, domains: &[SgbII], topics: &[Work, Housing], arrived: (2025, 9, 1), opened: (2026, 2, 16), path: &[(Active, (2026, 2, 23), None), (Closed, (2026, 8, 31), Some(CloseReason::NoContact))], justification: None },
    Demo { municipality: "Windeck", people: &[("Rahel", 2001, &["am"], Some(R::AsylumSeeker))], group: TargetGroup::NewArrivals, domains: &[AsylbLG], topics: &[Language, Health], arrived: (2025, 7, 1), opened: (2026, 5, 18), path: &[(Active, (2026, 5, 25), None), (Paused, (2026, 9, 1), None)], justification: None },
    Demo { municipality: "Much", people: &[("Ali", 1977, &["ar", "ku"], Some(R::Tolerated))], group: TargetGroup::Other, domains: &[AufenthG, AsylbLG], topics: &[Residence], arrived: (2015, 11, 1), opened: (2026, 6, 8), path: &[(Active, (2026, 6, 15), None)], justification: Some("Tolerated for years; a residence perspective under section 25b AufenthG needs accompaniment.") },
    Demo { municipality: "Neunkirchen-Seelscheid", people: &[("Goli", 1995, &["fa"], Some(R::RecognisedRefugee)), ("Aram", 2023, &["fa"], Some(R::RecognisedRefugee))], group: TargetGroup::MultilingualChildrenWithLanguageDisorders, domains: &[SgbVIII], topics: &[Language, Childcare, Health], arrived: (2024, 12, 1), opened: (2026, 8, 3), path: &[], justification: None },
    Demo { municipality: "Ruppichteroth", people: &[("Dmytro", 1980, &["uk", "ru"], Some(R::Other))], group: TargetGroup::NewArrivals, domains: &[SgbII, SgbIII], topics: &[Work, Education], arrived: (2025, 3, 1), opened: (2026, 3, 23), path: &[(Active, (2026, 3, 30), None)], justification: None },
    Demo { municipality: "Sankt Augustin", people: &[("Hamid", 1990, &["ps"], Some(R::AsylumSeeker)), ("Nasrin", 1992, &["ps", "fa"], Some(R::AsylumSeeker))], group: TargetGroup::NewArrivals, domains: &[AsylbLG, AufenthG], topics: &[Residence, Housing, Language], arrived: (2025, 11, 20), opened: (2026, 9, 14), path: &[(Active, (2026, 9, 21), None)], justification: None },
    Demo { municipality: "Troisdorf", people: &[("Elif", 1985, &["tr", "de"], Some(R::Naturalised))], group: TargetGroup::Other, domains: &[SgbII], topics: &[Work, Family], arrived: (2010, 6, 1), opened: (2025, 9, 15), path: &[(Active, (2025, 9, 22), None), (Closed, (2026, 2, 27), Some(CloseReason::GoalsAchieved))], justification: Some("Single parent after separation; the Jobcenter asked the KI for cross-domain support.") },
    Demo { municipality: "Siegburg", people: &[("Sami", 1987, &["ar"], Some(R::RecognisedRefugee))], group: TargetGroup::NewArrivals, domains: &[SgbII], topics: &[Work, Language], arrived: (2025, 1, 1), opened: (2026, 2, 2), path: ACTIVE_SINCE_SPRING, justification: None },
    Demo { municipality: "Troisdorf", people: &[("Beatriz", 1990, &["pt"], Some(R::EuCitizen))], group: TargetGroup::NewArrivals, domains: &[SgbXII], topics: &[Housing, Health], arrived: (2025, 2, 1), opened: (2026, 2, 3), path: &[], justification: None },
    Demo { municipality: "Sankt Augustin", people: &[("Arman", 2003, &["hy"], Some(R::AsylumSeeker))], group: TargetGroup::NewArrivals, domains: &[AsylbLG, AufenthG], topics: &[Education, Language], arrived: (2025, 3, 1), opened: (2026, 2, 4), path: &[(Active, (2026, 3, 16), None), (Paused, (2026, 7, 1), None)], justification: None },
    Demo { municipality: "Bornheim", people: &[("Lina", 1998, &["ar"], Some(R::RecognisedRefugee))], group: TargetGroup::NewArrivals, domains: &[SgbII, SgbVIII], topics: &[Childcare, Family], arrived: (2025, 4, 1), opened: (2026, 2, 5), path: &[(Active, (2026, 3, 16), None), (Closed, (2026, 9, 30), Some(CloseReason::GoalsAchieved))], justification: None },
    Demo { municipality: "Hennef (Sieg)", people: &[("Jonas", 1984, &["lt"], Some(R::EuCitizen))], group: TargetGroup::NewArrivals, domains: &[SgbII], topics: &[Work, Language], arrived: (2025, 5, 1), opened: (2026, 2, 6), path: ACTIVE_SINCE_SPRING, justification: None },
    Demo { municipality: "Königswinter", people: &[("Meron", 1995, &["ti"], Some(R::AsylumSeeker))], group: TargetGroup::NewArrivals, domains: &[SgbXII], topics: &[Housing, Health], arrived: (2025, 6, 1), opened: (2026, 2, 7), path: &[], justification: None },
    Demo { municipality: "Lohmar", people: &[("Svitlana", 1979, &["uk"], Some(R::Other))], group: TargetGroup::NewArrivals, domains: &[AsylbLG, AufenthG], topics: &[Education, Language], arrived: (2025, 7, 1), opened: (2026, 2, 8), path: &[(Active, (2026, 3, 16), None), (Paused, (2026, 7, 1), None)], justification: None },
    Demo { municipality: "Niederkassel", people: &[("Karim", 1992, &["fa"], Some(R::Tolerated))], group: TargetGroup::NewArrivals, domains: &[SgbII, SgbVIII], topics: &[Childcare, Family], arrived: (2025, 8, 1), opened: (2026, 2, 9), path: &[(Active, (2026, 3, 16), None), (Closed, (2026, 9, 30), Some(CloseReason::GoalsAchieved))], justification: None },
    Demo { municipality: "Meckenheim", people: &[("Nour", 2000, &["ar"], Some(R::RecognisedRefugee))], group: TargetGroup::NewArrivals, domains: &[SgbII], topics: &[Work, Language], arrived: (2025, 9, 1), opened: (2026, 2, 10), path: ACTIVE_SINCE_SPRING, justification: None },
    Demo { municipality: "Rheinbach", people: &[("Ewa", 1988, &["pl"], Some(R::EuCitizen))], group: TargetGroup::NewArrivals, domains: &[SgbXII], topics: &[Housing, Health], arrived: (2025, 1, 1), opened: (2026, 2, 11), path: &[], justification: None },
    Demo { municipality: "Alfter", people: &[("Farid", 1975, &["ps"], Some(R::RecognisedRefugee))], group: TargetGroup::NewArrivals, domains: &[AsylbLG, AufenthG], topics: &[Education, Language], arrived: (2025, 2, 1), opened: (2026, 2, 12), path: &[(Active, (2026, 3, 16), None), (Paused, (2026, 7, 1), None)], justification: None },
    Demo { municipality: "Eitorf", people: &[("Hiwot", 1997, &["am"], Some(R::AsylumSeeker))], group: TargetGroup::NewArrivals, domains: &[SgbII, SgbVIII], topics: &[Childcare, Family], arrived: (2025, 3, 1), opened: (2026, 2, 13), path: &[(Active, (2026, 3, 16), None), (Closed, (2026, 9, 30), Some(CloseReason::GoalsAchieved))], justification: None },
];

const ACTIVE_SINCE_SPRING_LATE: &[Move] = &[(Active, (2026, 4, 20), None)];

use LegalDomain::SgbIII;

fn date((y, m, d): (i32, u32, u32)) -> Result<NaiveDate, StoreError> {
    NaiveDate::from_ymd_opt(y, m, d)
        .ok_or_else(|| StoreError::Corrupt(format!("bad demo date {y}-{m}-{d}")))
}

/// Loads the demo cases unless the demo case manager already has cases; returns how many.
pub fn demo(conn: &mut DbConn) -> Result<usize, StoreError> {
    let Some(case_manager) = users::find_by_username(conn, "case_manager")? else {
        return Ok(0);
    };
    let page = kim_domain::paging::PageRequest {
        limit: 1,
        offset: 0,
    };
    let existing = cases::list(
        conn,
        kim_domain::access::CaseScope::Assigned(case_manager.id),
        &CaseFilter::default(),
        CaseSort::Id,
        false,
        page,
    )?;
    if existing.total > 0 {
        return Ok(0);
    }
    let actor = Actor::person(case_manager.id, Role::CaseManager);
    let mut created = 0;
    let mut opened_cases = Vec::new();
    for demo in CASES {
        let Some(place) = municipalities::find_by_name(conn, demo.municipality)? else {
            continue;
        };
        let opened = date(demo.opened)?;
        let mut client_ids = Vec::new();
        for (name, year, languages, status) in demo.people {
            let data = ClientData {
                given_name: Some((*name).into()),
                birth_year: Some(*year),
                languages: languages.iter().map(|l| (*l).to_string()).collect(),
                residence_status: *status,
                municipality_id: place.id,
                ..ClientData::default()
            };
            let client = clients::insert(
                conn,
                &data,
                case_manager.organisation_id,
                Some(case_manager.id),
                2026,
            )?;
            client_ids.push(client.id);
        }
        let data = CaseData {
            lead_client_id: client_ids[0],
            client_ids,
            municipality_id: place.id,
            target_group: demo.group,
            legal_domains: demo.domains.to_vec(),
            topics: demo.topics.to_vec(),
            intake_channel: IntakeChannel::SelfReferral,
            referred_by_organisation_id: None,
            arrived_on: Some(date(demo.arrived)?),
            other_case_management: vec![OtherCaseManagement::NoneInvolved],
        };
        let intake = Intake {
            eligible: demo.justification.is_none(),
            justification: demo.justification.map(String::from),
        };
        let mut case = cases::insert(conn, &actor, &data, case_manager.id, None, &intake, opened)?;
        for (to, on, close_reason) in demo.path {
            let change = CaseTransition {
                from: case.status,
                to: *to,
                close_reason: *close_reason,
                reason: None,
            };
            case = cases::transition(conn, &actor, case.id, case.version, &change, date(*on)?)?;
        }
        opened_cases.push(case);
        created += 1;
    }
    if let [family, single, ..] = opened_cases.as_slice() {
        casework(conn, &actor, case_manager.id, family, single)?;
    }
    Ok(created)
}

fn organisation(conn: &mut DbConn, name: &str) -> Result<i64, StoreError> {
    kim_store::organisations::find_by_name(conn, name)?
        .map(|o| o.id)
        .ok_or_else(|| StoreError::Corrupt(format!("demo organisation {name} missing")))
}

/// Consents, referrals to the Jobcenter (sent) and a welfare organisation (accepted), a case
/// conference with a follow-up, and a residence-law request, on the first two demo cases.
fn casework(
    conn: &mut DbConn,
    actor: &Actor,
    case_manager: i64,
    family: &cases::Case,
    single: &cases::Case,
) -> Result<(), StoreError> {
    use kim_domain::consent::{ConsentPurpose, DataCategory, NewConsent};
    use kim_domain::referral::{ReferralStatus, ReferralTransition};
    use kim_store::{conferences, consents, referrals, residence_requests};

    let jobcenter = organisation(conn, "Jobcenter Rhein-Sieg")?;
    let caritas = organisation(conn, "Caritasverband Rhein-Sieg")?;
    let immigration = organisation(conn, "Ausländerbehörde Rhein-Sieg-Kreis")?;
    let mother = family.data.lead_client_id;
    let consent = consents::insert(
        conn,
        mother,
        &NewConsent {
            recipient_organisation_ids: vec![jobcenter, caritas],
            purposes: vec![ConsentPurpose::Referral],
            categories: vec![
                DataCategory::Identity,
                DataCategory::Contact,
                DataCategory::CaseContent,
            ],
            given_on: date((2026, 3, 2))?,
            valid_until: Some(date((2027, 3, 1))?),
        },
        Some("Schweigepflichtentbindung vom 2. März 2026 (Papier, Akte)"),
        Some(case_manager),
    )?;
    let shared = vec![
        DataCategory::Identity,
        DataCategory::Contact,
        DataCategory::CaseContent,
    ];
    for (recipient, purpose, accepted) in [
        (
            jobcenter,
            "Start of a job-related language course (B1)",
            false,
        ),
        (
            caritas,
            "Parenting counselling and Kita search support",
            true,
        ),
    ] {
        let draft = referrals::insert(
            conn,
            actor,
            family.id,
            &referrals::ReferralData {
                client_id: mother,
                recipient_organisation_id: recipient,
                offer: None,
                purpose: purpose.into(),
                message: Some(
                    "Please get in touch with Ms A. directly; Arabic interpreter helpful.".into(),
                ),
                shared_categories: shared.clone(),
                due_on: Some(date((2026, 12, 15))?),
            },
        )?;
        let send = ReferralTransition {
            from: ReferralStatus::Draft,
            to: ReferralStatus::Sent,
            reason: None,
            consent_ids: vec![consent.consent.id],
        };
        let sent = referrals::transition(conn, actor, draft.id, draft.version, &send)?;
        if accepted {
            let accept = ReferralTransition {
                from: ReferralStatus::Sent,
                to: ReferralStatus::Accepted,
                reason: None,
                consent_ids: Vec::new(),
            };
            let partner = Actor {
                kind: "partner",
                id: None,
                role: None,
                request_id: None,
                client_request_id: None,
            };
            referrals::transition(conn, &partner, sent.id, sent.version, &accept)?;
        }
    }
    conferences::insert(
        conn,
        actor,
        &conferences::ConferenceData {
            case_id: Some(family.id),
            held_on: date((2026, 4, 14))?,
            summary: Some(
                "Language support for the child and work perspective for the mother".into(),
            ),
            outcome: Some(
                "Speech therapy assessment; Kita place; B1 course via the Jobcenter".into(),
            ),
            organisation_ids: vec![jobcenter, caritas],
            user_ids: vec![case_manager],
            tasks: vec![conferences::FollowUp {
                description: "Ask the Kita about a place from January".into(),
                owner_user_id: case_manager,
                due_on: date((2026, 12, 1))?,
                done_on: None,
            }],
        },
    )?;
    let asker = single.data.lead_client_id;
    consents::insert(
        conn,
        asker,
        &NewConsent {
            recipient_organisation_ids: vec![immigration],
            purposes: vec![ConsentPurpose::ResidenceLawRequest],
            categories: vec![DataCategory::Identity, DataCategory::ResidenceStatus],
            given_on: date((2026, 3, 2))?,
            valid_until: None,
        },
        Some("Einwilligung vom 2. März 2026"),
        Some(case_manager),
    )?;
    residence_requests::insert(
        conn,
        actor,
        &residence_requests::NewRequest {
            case_id: single.id,
            client_id: asker,
            office_organisation_id: immigration,
            question:
                "Which requirements remain for a settlement permit after two years of employment?"
                    .into(),
            shared_categories: vec![DataCategory::Identity, DataCategory::ResidenceStatus],
        },
    )?;
    Ok(())
}
