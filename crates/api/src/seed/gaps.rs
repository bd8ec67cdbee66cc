//! Demo bodies and gaps: the steering group with the concept's member functions, three project
//! groups (one thematic, two local), the Arbeitskreis Integration, a past and a planned
//! steering-group meeting, and gaps in the early stages of the process, each taken there by
//! the demo user of the right role. No gap is communicated yet, so case managers' work lists
//! start empty of gap steps.

use chrono::NaiveDate;
use kim_domain::body::{BodyKind as K, DecisionOutcome};
use kim_domain::gap::{GapStage, GapStep};
use kim_domain::reference::LegalDomain as L;
use kim_store::audit::Actor;
use kim_store::bodies::{self, AgendaItem, BodyData, MeetingData, MemberData};
use kim_store::gaps::{self, GapData, NewReport, StageChange};
use kim_store::{gap_steps, municipalities, organisations, users, DbConn, StoreError};

pub const STEERING_GROUP: &str = "Lenkungsgruppe KIM Rhein-Sieg-Kreis";
pub const KITA_GROUP: &str = "Projektgruppe Kita und frühe Bildung";
const TROISDORF_GROUP: &str = "Projektgruppe Troisdorf";
const LEFT_GROUP: &str = "Projektgruppe Linksrheinisch";
const ARBEITSKREIS: &str = "Arbeitskreis Integration";
pub const PAST_MEETING: &str = "Lenkungsgruppe 4/2026";

/// (member: user name or organisation name, is user, function).
type Member = (&'static str, bool, &'static str);

const STEERING_MEMBERS: &[Member] = &[
    ("steering_member", true, "Sozialdezernent/in (Vorsitz)"),
    ("ki_lead", true, "Leitung Kommunales Integrationszentrum"),
    ("Sozialamt Rhein-Sieg-Kreis", false, "Leitung Sozialamt"),
    (
        "Ausländerbehörde Rhein-Sieg-Kreis",
        false,
        "Leitung Amt für Recht und Ordnung (Ausländer- und Einbürgerungsbehörde)",
    ),
    (
        "Gesundheitsamt Rhein-Sieg-Kreis",
        false,
        "Leitung Gesundheitsamt",
    ),
    ("Jugendamt Rhein-Sieg-Kreis", false, "Leitung Jugendamt"),
    (
        "Schulamt Rhein-Sieg-Kreis",
        false,
        "Untere Schulaufsicht und Leitung Schulamt",
    ),
    ("Jobcenter Rhein-Sieg", false, "Geschäftsführer Jobcenter"),
    (
        "Agentur für Arbeit Bonn/Rhein-Sieg",
        false,
        "Geschäftsführerin Agentur für Arbeit",
    ),
    (
        "Caritasverband Rhein-Sieg",
        false,
        "Sprecher der Freien Wohlfahrt",
    ),
    ("Stadt Troisdorf", false, "Vertretung der Stadt Troisdorf"),
];

/// (name, kind, purpose, topic, municipalities, members).
type DemoBody = (
    &'static str,
    K,
    &'static str,
    Option<&'static str>,
    &'static [&'static str],
    &'static [Member],
);

const BODIES: &[DemoBody] = &[
    (
        STEERING_GROUP,
        K::SteeringGroup,
        "Entscheidungsebene: erteilt Projektgruppen Mandate zur Veränderung von Angeboten und Strukturen und beschließt Lösungsansätze.",
        None,
        &[],
        STEERING_MEMBERS,
    ),
    (
        KITA_GROUP,
        K::ProjectGroupThematic,
        "Zugang mehrsprachiger Kinder und ihrer Eltern zu Kita, Sprachförderung und früher Bildung.",
        Some("early_childhood"),
        &[],
        &[
            ("project_group_member", true, "Leitung der Projektgruppe"),
            ("Jugendamt Rhein-Sieg-Kreis", false, "Kita-Bedarfsplanung"),
            ("Caritasverband Rhein-Sieg", false, "Kita-Träger"),
            ("Kurdische Gemeinschaft Rhein-Sieg/Bonn", false, "Migrantenselbstorganisation"),
        ],
    ),
    (
        TROISDORF_GROUP,
        K::ProjectGroupLocal,
        "Angebote und Übergänge in Troisdorf mit eigener Ausländerbehörde und eigenem Jugendamt.",
        None,
        &["Troisdorf"],
        &[
            ("Stadt Troisdorf", false, "Integrationsbeauftragte"),
            ("Ausländerbehörde Stadt Troisdorf", false, "Sachgebietsleitung"),
            ("Flüchtlingsinitiativen im Rhein-Sieg-Kreis", false, "Ehrenamt"),
        ],
    ),
    (
        LEFT_GROUP,
        K::ProjectGroupLocal,
        "Linksrheinische Kommunen: Erreichbarkeit von Beratung und Kursen im ländlichen Raum.",
        None,
        &["Alfter", "Bornheim", "Meckenheim", "Rheinbach", "Swisttal", "Wachtberg"],
        &[("Diakonisches Werk an Sieg und Rhein", false, "Migrationsberatung")],
    ),
    (
        ARBEITSKREIS,
        K::WorkingGroup,
        "Austausch der Akteure der Integrationsarbeit im Kreis.",
        None,
        &[],
        &[
            ("coordinator", true, "Koordinierung KIM"),
            ("Bundesamt für Migration und Flüchtlinge (BAMF)", false, "Regionalkoordination"),
            ("Katholische Jugendagentur Bonn – Jugendmigrationsdienst", false, "Jugendmigrationsdienst"),
            ("Kurdische Gemeinschaft Rhein-Sieg/Bonn", false, "Migrantenselbstorganisation"),
        ],
    ),
];

fn actor_of(conn: &mut DbConn, username: &str) -> Result<Actor, StoreError> {
    let user = users::find_by_username(conn, username)?
        .ok_or_else(|| StoreError::Corrupt(format!("demo user {username} missing")))?;
    Ok(Actor::person(user.id, user.role))
}

fn date(y: i32, m: u32, d: u32) -> Result<NaiveDate, StoreError> {
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| StoreError::Corrupt("demo date".into()))
}

fn seed_bodies(conn: &mut DbConn) -> Result<usize, StoreError> {
    let mut created = 0;
    for (name, kind, purpose, topic, served, members) in BODIES {
        if bodies::find_by_name(conn, name)?.is_some() {
            continue;
        }
        let mut municipality_ids = Vec::new();
        for m in *served {
            if let Some(found) = municipalities::find_by_name(conn, m)? {
                municipality_ids.push(found.id);
            }
        }
        let mut member_data = Vec::new();
        for (who, is_user, function) in *members {
            let (user_id, organisation_id) = if *is_user {
                (users::find_by_username(conn, who)?.map(|u| u.id), None)
            } else {
                (None, organisations::find_by_name(conn, who)?.map(|o| o.id))
            };
            if user_id.is_some() || organisation_id.is_some() {
                member_data.push(MemberData {
                    user_id,
                    organisation_id,
                    function: (*function).into(),
                });
            }
        }
        bodies::insert(
            conn,
            &BodyData {
                kind: *kind,
                name: (*name).into(),
                purpose: Some((*purpose).into()),
                topic: topic.map(String::from),
                active_from: Some(date(2021, 3, 1)?),
                active_until: None,
                municipality_ids,
                members: member_data,
            },
        )?;
        created += 1;
    }
    Ok(created)
}

/// A gap reported by the demo case manager, unless one with the title exists.
fn report(
    conn: &mut DbConn,
    title: &str,
    topic: &str,
    domains: &[L],
    text: &str,
    municipality: &str,
) -> Result<Option<i64>, StoreError> {
    let existing = gaps::list(
        conn,
        &gaps::GapFilter {
            topic: Some(topic.into()),
            ..Default::default()
        },
        kim_domain::paging::PageRequest {
            limit: kim_domain::paging::MAX_LIMIT,
            offset: 0,
        },
    )?;
    if existing.items.iter().any(|g| g.data.title == title) {
        return Ok(None);
    }
    let municipality_ids = municipalities::find_by_name(conn, municipality)?
        .map(|m| vec![m.id])
        .unwrap_or_default();
    let case_manager = actor_of(conn, "case_manager")?;
    let (gap, _) = gaps::insert(
        conn,
        &case_manager,
        &GapData {
            title: title.into(),
            description: text.into(),
            topic: topic.into(),
            legal_domains: domains.to_vec(),
            organisation_ids: Vec::new(),
            target_groups: vec!["Geflüchtete Familien".into()],
            municipality_ids,
        },
        &NewReport {
            text: text.into(),
            reported_on: date(2026, 10, 15)?,
            case_ids: Vec::new(),
        },
    )?;
    Ok(Some(gap.id))
}

fn step(
    conn: &mut DbConn,
    username: &str,
    gap_id: i64,
    step: GapStep,
    from: GapStage,
    comment: &str,
    payload: serde_json::Value,
) -> Result<GapStage, StoreError> {
    let to = step
        .target(from)
        .ok_or_else(|| StoreError::Corrupt(format!("demo step {step} from {from}")))?;
    let actor = actor_of(conn, username)?;
    gaps::move_stage(
        conn,
        &actor,
        gap_id,
        step,
        from,
        to,
        None,
        &StageChange::default(),
        Some(comment),
        &payload,
    )?;
    Ok(to)
}

/// Loads the demo bodies, meetings and gaps; returns how many bodies and gaps it created.
pub fn demo(conn: &mut DbConn) -> Result<usize, StoreError> {
    let mut created = seed_bodies(conn)?;
    let Some(steering) = bodies::find_by_name(conn, STEERING_GROUP)? else {
        return Ok(created);
    };
    let page = kim_domain::paging::PageRequest {
        limit: kim_domain::paging::MAX_LIMIT,
        offset: 0,
    };
    if !bodies::meetings_of(conn, steering.id, page)?
        .items
        .is_empty()
    {
        return Ok(created);
    }
    let attendees: Vec<i64> = steering
        .data
        .members
        .iter()
        .filter_map(|m| m.user_id)
        .collect();
    let past = bodies::insert_meeting(
        conn,
        steering.id,
        &MeetingData {
            held_on: date(2026, 11, 12)?,
            title: PAST_MEETING.into(),
            minutes: Some(
                "Bericht der CM-Koordination zu gemeldeten Lücken; Mandat Kita-Zugang.".into(),
            ),
            attendee_user_ids: attendees.clone(),
            agenda: vec![AgendaItem {
                title: "Bericht der CM-Koordination".into(),
                gap_id: None,
            }],
        },
    )?;
    bodies::insert_meeting(
        conn,
        steering.id,
        &MeetingData {
            held_on: date(2027, 3, 10)?,
            title: "Lenkungsgruppe 1/2027".into(),
            minutes: None,
            attendee_user_ids: attendees,
            agenda: Vec::new(),
        },
    )?;

    if let Some(_gap) = report(
        conn,
        "Lange Wartezeiten auf Integrationskurse im ländlichen Raum",
        "integration_courses",
        &[L::AufenthG],
        "Klientinnen warten vier bis sechs Monate auf einen Kursplatz mit Kinderbetreuung.",
        "Swisttal",
    )? {
        created += 1;
    }
    if let Some(gap) = report(
        conn,
        "Anerkennung ausländischer Berufsabschlüsse dauert zu lange",
        "work",
        &[L::SgbII, L::SgbIII],
        "Pflegekräfte mit Abschluss aus Drittstaaten arbeiten über ein Jahr als Hilfskräfte.",
        "Siegburg",
    )? {
        step(
            conn,
            "cm_coordinator",
            gap,
            GapStep::Escalate,
            GapStage::Reported,
            "Betrifft alle Rechtskreise; Jobcenter bestätigt die Häufung.",
            serde_json::json!({}),
        )?;
        step(
            conn,
            "ki_lead",
            gap,
            GapStep::Forward,
            GapStage::Escalated,
            "Für die Lenkungsgruppe 1/2027.",
            serde_json::json!({}),
        )?;
        created += 1;
    }
    if let Some(gap) = report(
        conn,
        "Keine Kita-Plätze für Kinder mit Duldung",
        "early_childhood",
        &[L::SgbVIII, L::AufenthG],
        "Familien mit Duldung werden von Kitas abgewiesen, weil der Aufenthalt ungesichert sei.",
        "Troisdorf",
    )? {
        step(
            conn,
            "cm_coordinator",
            gap,
            GapStep::Escalate,
            GapStage::Reported,
            "Mehrere Kommunen betroffen.",
            serde_json::json!({}),
        )?;
        step(
            conn,
            "ki_lead",
            gap,
            GapStep::Forward,
            GapStage::Escalated,
            "Zur Entscheidung.",
            serde_json::json!({}),
        )?;
        let steering_member = actor_of(conn, "steering_member")?;
        let kita = bodies::find_by_name(conn, KITA_GROUP)?
            .ok_or_else(|| StoreError::Corrupt("demo project group missing".into()))?;
        let mandate = "Verfahren mit dem Jugendamt für Kita-Plätze unabhängig vom Aufenthaltsstatus vorschlagen.";
        let decision = bodies::insert_decision(
            conn,
            &steering_member,
            past.id,
            Some(gap),
            &format!("Mandat an die {KITA_GROUP}: {mandate}"),
            DecisionOutcome::Mandated,
        )?;
        let due = date(2027, 3, 1)?;
        let mandate_id =
            gap_steps::insert_mandate(conn, gap, mandate, due, decision.id, &[kita.id])?;
        step(
            conn,
            "steering_member",
            gap,
            GapStep::Mandate,
            GapStage::WithSteeringGroup,
            mandate,
            serde_json::json!({"meeting_id": past.id, "decision_id": decision.id,
                "mandate_id": mandate_id, "project_group_ids": [kita.id], "due_on": due}),
        )?;
        created += 1;
    }
    if let Some(gap) = report(
        conn,
        "Fahrtkosten zu Beratungsstellen werden nicht erstattet",
        "mobility",
        &[L::AsylbLG],
        "Eine Klientin konnte einen Beratungstermin in Siegburg nicht wahrnehmen.",
        "Windeck",
    )? {
        step(
            conn,
            "cm_coordinator",
            gap,
            GapStep::CloseNotSystematic,
            GapStage::Reported,
            "Einzelfall; über den Härtefallfonds des Trägers gelöst.",
            serde_json::json!({}),
        )?;
        created += 1;
    }
    Ok(created)
}
