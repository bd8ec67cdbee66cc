//! Demo data: the Rhein-Sieg-Kreis from the domain brief (its 19 municipalities, the actors the
//! concept names), one demo account per role, and the steering level (positions, funding rates,
//! cooperation agreements, roadmap). Idempotent: what exists is left alone.

mod activities;
mod agreements;
mod cases;
mod clearing;
pub mod contributors;
pub mod gaps;
mod intake_rules;
mod offers;
mod office_outcomes;
mod positions;
pub mod programme_documents;
pub mod qualification;
mod roadmap;
mod social_areas;
mod surveys;
pub mod synthetic;

use kim_domain::reference::{LegalDomain as L, MunicipalityKind, OrganisationKind as K, RhineSide};
use kim_domain::Role;
use kim_store::audit::Actor;
use kim_store::municipalities::{self, MunicipalityData};
use kim_store::organisations::{self, OrganisationData};
use kim_store::users::{self, NewUser};
use kim_store::{DbConn, StoreError};

/// The password of every demo account. Demo data only: never seed a production database.
pub const DEMO_PASSWORD: &str = "demo-password";

/// (name, town?, side). Public facts; the concept treats Troisdorf separately because it has its
/// own immigration office, youth office and integration council.
const MUNICIPALITIES: &[(&str, bool, RhineSide)] = &[
    ("Alfter", false, RhineSide::Left),
    ("Bornheim", true, RhineSide::Left),
    ("Meckenheim", true, RhineSide::Left),
    ("Rheinbach", true, RhineSide::Left),
    ("Swisttal", false, RhineSide::Left),
    ("Wachtberg", false, RhineSide::Left),
    ("Bad Honnef", true, RhineSide::Right),
    ("Eitorf", false, RhineSide::Right),
    ("Hennef (Sieg)", true, RhineSide::Right),
    ("Königswinter", true, RhineSide::Right),
    ("Lohmar", true, RhineSide::Right),
    ("Much", false, RhineSide::Right),
    ("Neunkirchen-Seelscheid", false, RhineSide::Right),
    ("Niederkassel", true, RhineSide::Right),
    ("Ruppichteroth", false, RhineSide::Right),
    ("Sankt Augustin", true, RhineSide::Right),
    ("Siegburg", true, RhineSide::Right),
    ("Troisdorf", true, RhineSide::Right),
    ("Windeck", false, RhineSide::Right),
];

pub const KI: &str = "Kommunales Integrationszentrum Rhein-Sieg-Kreis";
const IMMIGRATION_OFFICE: &str = "Ausländerbehörde Rhein-Sieg-Kreis";

/// (name, kind, legal domains, municipalities served — empty: county-wide).
const ORGANISATIONS: &[(&str, K, &[L], &[&str])] = &[
    (KI, K::CountyOffice, &[], &[]),
    (
        "Sozialamt Rhein-Sieg-Kreis",
        K::CountyOffice,
        &[L::SgbXII, L::AsylbLG],
        &[],
    ),
    (
        "Jugendamt Rhein-Sieg-Kreis",
        K::CountyOffice,
        &[L::SgbVIII],
        &[],
    ),
    ("Gesundheitsamt Rhein-Sieg-Kreis", K::CountyOffice, &[], &[]),
    ("Schulamt Rhein-Sieg-Kreis", K::CountyOffice, &[], &[]),
    (IMMIGRATION_OFFICE, K::CountyOffice, &[L::AufenthG], &[]),
    (
        "Einbürgerungsbehörde Rhein-Sieg-Kreis",
        K::CountyOffice,
        &[L::AufenthG],
        &[],
    ),
    ("Stadt Troisdorf", K::MunicipalOffice, &[], &["Troisdorf"]),
    (
        "Ausländerbehörde Stadt Troisdorf",
        K::MunicipalOffice,
        &[L::AufenthG],
        &["Troisdorf"],
    ),
    (
        "Jugendamt Stadt Troisdorf",
        K::MunicipalOffice,
        &[L::SgbVIII],
        &["Troisdorf"],
    ),
    ("Jobcenter Rhein-Sieg", K::Jobcenter, &[L::SgbII], &[]),
    (
        "Agentur für Arbeit Bonn/Rhein-Sieg",
        K::EmploymentAgency,
        &[L::SgbIII],
        &[],
    ),
    (
        "Bundesamt für Migration und Flüchtlinge (BAMF)",
        K::FederalOffice,
        &[L::AufenthG],
        &[],
    ),
    (
        "Caritasverband Rhein-Sieg",
        K::WelfareOrganisation,
        &[L::SgbVIII, L::SgbXII],
        &[],
    ),
    (
        "Diakonisches Werk an Sieg und Rhein",
        K::WelfareOrganisation,
        &[L::SgbVIII, L::SgbXII],
        &[],
    ),
    (
        "Katholische Jugendagentur Bonn – Jugendmigrationsdienst",
        K::MigrationCounselling,
        &[L::SgbVIII],
        &[],
    ),
    (
        "Kurdische Gemeinschaft Rhein-Sieg/Bonn",
        K::MigrantSelfOrganisation,
        &[],
        &[],
    ),
    (
        "Flüchtlingsinitiativen im Rhein-Sieg-Kreis",
        K::VolunteerInitiative,
        &[],
        &[],
    ),
];

/// What the seed did, for the command's output.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SeedReport {
    pub municipalities_created: usize,
    pub organisations_created: usize,
    pub users_created: usize,
    /// Steering-level objects created, by kind (`positions`, `agreements`, ...).
    pub steering_created: Vec<(&'static str, usize)>,
}

/// Loads the demo county. `password_hash` is the argon2 hash of [`DEMO_PASSWORD`], computed once
/// by the caller (hashing is slow on purpose).
pub fn demo(conn: &mut DbConn, password_hash: &str) -> Result<SeedReport, StoreError> {
    let mut report = demo_without_cases(conn, password_hash)?;
    report.steering_created.push(("cases", cases::demo(conn)?));
    report
        .steering_created
        .push(("programme documents", programme_documents::demo(conn)?));
    report
        .steering_created
        .push(("clearing records", clearing::demo(conn)?));
    Ok(report)
}

/// Everything but the fictional cases: what the black-box tests start from, so that their
/// counts of cases and clients are their own.
pub fn demo_without_cases(
    conn: &mut DbConn,
    password_hash: &str,
) -> Result<SeedReport, StoreError> {
    let mut report = SeedReport::default();
    for (name, town, side) in MUNICIPALITIES {
        if municipalities::find_by_name(conn, name)?.is_none() {
            let troisdorf = *name == "Troisdorf";
            municipalities::insert(
                conn,
                &MunicipalityData {
                    name: (*name).into(),
                    kind: if *town {
                        MunicipalityKind::Town
                    } else {
                        MunicipalityKind::Municipality
                    },
                    rhine_side: *side,
                    has_immigration_office: troisdorf,
                    has_youth_office: troisdorf,
                    has_integration_council: troisdorf,
                    social_area: None,
                    population: None,
                    foreign_nationals_percent: None,
                },
            )?;
            report.municipalities_created += 1;
        }
    }
    for (name, kind, domains, served) in ORGANISATIONS {
        if organisations::find_by_name(conn, name)?.is_some() {
            continue;
        }
        let mut municipality_ids = Vec::new();
        for municipality in *served {
            if let Some(m) = municipalities::find_by_name(conn, municipality)? {
                municipality_ids.push(m.id);
            }
        }
        organisations::insert(
            conn,
            &OrganisationData {
                name: (*name).into(),
                kind: *kind,
                legal_domains: domains.to_vec(),
                municipality_ids,
                email: None,
                phone: None,
                address: None,
                website: None,
                active: true,
            },
        )?;
        report.organisations_created += 1;
    }
    let ki = organisations::find_by_name(conn, KI)?.map(|o| o.id);
    let immigration = organisations::find_by_name(conn, IMMIGRATION_OFFICE)?.map(|o| o.id);
    for role in Role::ALL {
        let username = role.as_str();
        if users::find_by_username(conn, username)?.is_some() {
            continue;
        }
        let organisation_id = match role {
            Role::ImmigrationOfficer => immigration,
            _ => ki,
        };
        users::insert(
            conn,
            &Actor::system(),
            &NewUser {
                username: username.into(),
                display_name: format!("Demo {}", display(*role)),
                role: *role,
                organisation_id,
                active: true,
                password_hash: password_hash.into(),
                must_change_password: false,
            },
        )?;
        report.users_created += 1;
    }
    report.steering_created = vec![
        ("positions and funding rates", positions::demo(conn)?),
        ("qualification courses", qualification::demo(conn)?),
        ("cooperation agreements", agreements::demo(conn)?),
        ("roadmap items", roadmap::demo(conn)?),
        ("offers", offers::demo(conn)?),
        ("bodies and systematic gaps", gaps::demo(conn)?),
        ("public relations activities", activities::demo(conn)?),
        ("module 3 outcomes", office_outcomes::demo(conn)?),
        ("needs survey responses", surveys::demo(conn)?),
        ("local intake rules", intake_rules::demo(conn)?),
        ("social areas", social_areas::demo(conn)?),
    ];
    Ok(report)
}

fn display(role: Role) -> &'static str {
    match role {
        Role::Admin => "Administrator",
        Role::KiLead => "KI Lead",
        Role::Coordinator => "Coordinator",
        Role::CmCoordinator => "CM Coordinator",
        Role::CaseManager => "Case Manager",
        Role::SteeringMember => "Steering Group Member",
        Role::ProjectGroupMember => "Project Group Member",
        Role::Analyst => "Analyst",
        Role::ImmigrationOfficer => "Immigration Officer",
        Role::DataProtectionOfficer => "Data Protection Officer",
    }
}

/// The partner system of the demo: the Jobcenter's case software.
pub const DEMO_PARTNER: &str = "Jobcenter Rhein-Sieg";
const DEMO_PARTNER_TOKEN: &str = "Demo: Jobcenter Fachverfahren";

/// Issues the demo partner token for the Jobcenter unless an active one exists; the secret is
/// returned once, for printing.
pub fn demo_partner_token(
    conn: &mut DbConn,
) -> Result<Option<crate::routes::partner_tokens::IssuedPartnerToken>, StoreError> {
    let Some(jobcenter) = organisations::find_by_name(conn, DEMO_PARTNER)? else {
        return Ok(None);
    };
    let filter = kim_store::partner_tokens::TokenFilter {
        organisation_id: Some(jobcenter.id),
        include_inactive: false,
    };
    let page = kim_domain::paging::PageRequest {
        limit: kim_domain::paging::MAX_LIMIT,
        offset: 0,
    };
    let existing = kim_store::partner_tokens::list(conn, &filter, page)?;
    if existing.items.iter().any(|t| t.name == DEMO_PARTNER_TOKEN) {
        return Ok(None);
    }
    let scopes = vec![
        kim_domain::Scope::ReferralsRead,
        kim_domain::Scope::ReferralsWrite,
        kim_domain::Scope::ReportsRead,
        kim_domain::Scope::OffersWrite,
        // The Jobcenter is a respondent of the demo needs survey.
        kim_domain::Scope::SurveysWrite,
        // The Jobcenter refers people into case management.
        kim_domain::Scope::IntakeWrite,
    ];
    crate::routes::partner_tokens::issue_in(
        conn,
        &Actor::system(),
        DEMO_PARTNER_TOKEN.into(),
        jobcenter.id,
        scopes,
        90,
        crate::routes::partner_tokens::Issuer::Operator,
    )
    .map(Some)
}

/// Creates case managers `cm-synthetic-01`… up to `count` (existing ones are kept), in the
/// organisation of the demo case manager, so synthetic cases spread over a realistic team.
pub fn synthetic_case_managers(
    conn: &mut DbConn,
    password_hash: &str,
    count: usize,
) -> Result<usize, StoreError> {
    let organisation_id =
        users::find_by_username(conn, "case_manager")?.and_then(|u| u.organisation_id);
    let mut created = 0;
    for n in 1..=count {
        let username = format!("cm-synthetic-{n:02}");
        if users::find_by_username(conn, &username)?.is_some() {
            continue;
        }
        let new = NewUser {
            display_name: format!("Fallmanagerin {n:02} (synthetisch)"),
            username,
            role: Role::CaseManager,
            organisation_id,
            active: true,
            password_hash: password_hash.to_owned(),
            must_change_password: false,
        };
        users::insert(conn, &Actor::system(), &new)?;
        created += 1;
    }
    Ok(created)
}
