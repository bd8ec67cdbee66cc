//! Demo documents of the programme: the county-wide CM concept and the help-plan template,
//! adopted by the steering group in its demo meeting; feedback on the concept from a case
//! manager, the Arbeitskreis Integration and (anonymously) clients; the concept's second
//! version drafted from that feedback; and the quality standards, still a draft.
//!
//! Loaded with the demo cases ([`super::demo`]), not for the black-box tests: an adopted
//! document waits on every case manager's work list until acknowledged.

use chrono::NaiveDate;
use kim_domain::body::DecisionOutcome;
use kim_domain::programme_document::{DocumentKind, FeedbackSource};
use kim_domain::Role;
use kim_store::audit::Actor;
use kim_store::bodies;
use kim_store::programme_documents::{self as store, DraftContent, NewFeedback, NextVersion};
use kim_store::{users, DbConn, StoreError};

use super::gaps::{PAST_MEETING, STEERING_GROUP};

const ARBEITSKREIS: &str = "Arbeitskreis Integration";

pub const CM_CONCEPT: &str = "Kreisweites CM-Konzept KIM Rhein-Sieg-Kreis";
pub const HELP_PLAN_TEMPLATE: &str = "Vorlage Hilfeplan und Zielvereinbarung";
pub const QUALITY_STANDARDS: &str = "Qualitätsstandards im Case Management";

fn date(y: i32, m: u32, d: u32) -> Result<NaiveDate, StoreError> {
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| StoreError::Corrupt("demo date".into()))
}

fn user_id(conn: &mut DbConn, username: &str) -> Result<i64, StoreError> {
    users::find_by_username(conn, username)?
        .map(|u| u.id)
        .ok_or_else(|| StoreError::Corrupt(format!("demo user {username} missing")))
}

fn draft(title: &str, text: Option<&str>, link: Option<&str>) -> DraftContent {
    DraftContent {
        title: title.into(),
        text: text.map(Into::into),
        attachment_url: link.map(Into::into),
        feedback_ids: Vec::new(),
    }
}

/// Adds the documents once; returns how many versions were created.
pub fn demo(conn: &mut DbConn) -> Result<usize, StoreError> {
    if store::find_by_title(conn, CM_CONCEPT)?.is_some() {
        return Ok(0);
    }
    let Some(steering) = bodies::find_by_name(conn, STEERING_GROUP)? else {
        return Ok(0);
    };
    let page = kim_domain::paging::PageRequest {
        limit: kim_domain::paging::MAX_LIMIT,
        offset: 0,
    };
    let Some(meeting) = bodies::meetings_of(conn, steering.id, page)?
        .items
        .into_iter()
        .find(|m| m.data.title == PAST_MEETING)
    else {
        return Ok(0);
    };
    let cm_coordinator = user_id(conn, "cm_coordinator")?;
    let case_manager = user_id(conn, "case_manager")?;
    let coordinator = user_id(conn, "coordinator")?;
    let ki_lead = user_id(conn, "ki_lead")?;

    let concept = store::insert(
        conn,
        DocumentKind::CmConcept,
        &draft(
            CM_CONCEPT,
            Some(
                "1. Ziele und Zielgruppen des Case Managements im KIM\n\
                 2. Zugang: Zuweisung, Aufnahmekriterien, Erstgespräch\n\
                 3. Ablauf: Clearing, Hilfeplan, Zielvereinbarung, Fallkonferenz, Abschluss\n\
                 4. Zusammenarbeit über die Rechtskreise (SGB II, III, VIII, XII, AufenthG, \
                 AsylbLG) und Datenschutz (Einwilligung)\n\
                 5. Systematische Lücken melden\n\
                 6. Fachaufsicht durch die CM-Koordination im KI",
            ),
            None,
        ),
        Some(cm_coordinator),
    )?;
    let template = store::insert(
        conn,
        DocumentKind::Template,
        &draft(
            HELP_PLAN_TEMPLATE,
            None,
            Some("https://intranet.rhein-sieg-kreis.example/kim/vorlage-hilfeplan.docx"),
        ),
        Some(cm_coordinator),
    )?;
    let actor = Actor::person(ki_lead, Role::KiLead);
    let decision = bodies::insert_decision(
        conn,
        &actor,
        meeting.id,
        None,
        "Die Lenkungsgruppe beschließt das kreisweite CM-Konzept und die Vorlage Hilfeplan \
         und Zielvereinbarung; sie gelten ab sofort für alle CM-Stellen.",
        DecisionOutcome::Adopted,
    )?;
    let held = meeting.data.held_on;
    let concept = store::adopt(conn, concept.id, concept.version, decision.id, held)?;
    store::adopt(conn, template.id, template.version, decision.id, held)?;

    let mut taken_up = Vec::new();
    for (source, body_id, text, day, recorder) in [
        (
            FeedbackSource::CaseManager,
            None,
            "Die Frist für das Erstgespräch ist bei Zuweisungen aus der Kita kaum zu halten; \
             bitte eine Ausnahme für Gruppenangebote vorsehen.",
            16,
            case_manager,
        ),
        (
            FeedbackSource::Body,
            bodies::find_by_name(conn, ARBEITSKREIS)?.map(|b| b.id),
            "Der Arbeitskreis Integration wünscht eine Fassung des Ablaufs in leichter Sprache \
             für die Beratungsstellen.",
            18,
            coordinator,
        ),
        (
            FeedbackSource::Client,
            None,
            "Termine sollten auch am Nachmittag möglich sein, wenn die Kinder aus der Kita \
             abgeholt sind.",
            19,
            cm_coordinator,
        ),
    ] {
        if source == FeedbackSource::Body && body_id.is_none() {
            continue;
        }
        let entry = store::insert_feedback(
            conn,
            concept.id,
            &NewFeedback {
                source,
                body_id,
                text: text.into(),
                received_on: date(2026, 11, day)?,
            },
            Some(recorder),
        )?;
        if source != FeedbackSource::CaseManager {
            taken_up.push(entry.id);
        }
    }
    store::next_version(
        conn,
        concept.id,
        &NextVersion {
            text: Some(
                "Fassung 2 (Entwurf): wie Fassung 1; neu: Ablauf in leichter Sprache (Anlage), \
                 Beratungstermine auch nachmittags."
                    .into(),
            ),
            feedback_ids: taken_up,
            ..NextVersion::default()
        },
        Some(cm_coordinator),
    )?;
    store::insert(
        conn,
        DocumentKind::QualityStandard,
        &draft(
            QUALITY_STANDARDS,
            Some(
                "Erstgespräch binnen 14 Tagen nach Zuweisung; Hilfeplan binnen 6 Wochen; \
                 Fallkonferenz bei mehr als zwei beteiligten Rechtskreisen; Abschluss mit \
                 Auswertung der Ziele.",
            ),
            None,
        ),
        Some(cm_coordinator),
    )?;
    Ok(5)
}
