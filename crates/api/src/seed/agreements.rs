//! Demo cooperation agreements (Kooperationsvereinbarungen) of the Rhein-Sieg-Kreis: one in
//! force with Troisdorf, one signed with the Caritasverband, one under negotiation with Siegburg
//! and a draft for Sankt Augustin. Each covers the positions placed with its partner, if the
//! demo positions exist. Idempotent: an agreement whose title exists is left alone.

use chrono::NaiveDate;
use kim_domain::agreement::AgreementStatus as S;
use kim_domain::staffing::Module;
use kim_store::agreements::{self, AgreementData, Checked, TransitionRequest};
use kim_store::audit::Actor;
use kim_store::{municipalities, organisations, DbConn, StoreError};

/// How far a demo agreement has come, with the dates each step sets.
struct Demo {
    title: &'static str,
    organisation: Option<&'static str>,
    municipality: Option<&'static str>,
    modules: &'static [Module],
    subject: &'static str,
    obligations: &'static str,
    document_file_id: Option<&'static str>,
    /// (target, signed_on, starts_on, comment), applied in order.
    steps: &'static [(S, Option<&'static str>, Option<&'static str>, &'static str)],
}

const DEMOS: &[Demo] = &[
    Demo {
        title: "Kooperationsvereinbarung KIM Troisdorf",
        organisation: None,
        municipality: Some("Troisdorf"),
        modules: &[Module::Module1, Module::Module2],
        subject: "Strategiestelle und Case Management für die Stadt Troisdorf",
        obligations: "Die Stadt Troisdorf stellt Arbeitsplätze und benennt eine Ansprechperson; \
                      Dienst- und Fachaufsicht liegen beim KI.",
        document_file_id: Some("KI-2021-007"),
        steps: &[
            (
                S::Negotiating,
                None,
                None,
                "Entwurf an die Stadt Troisdorf versandt",
            ),
            (
                S::Signed,
                Some("2021-03-15"),
                None,
                "Von Landrat und Bürgermeister unterzeichnet",
            ),
            (S::Active, None, Some("2021-04-01"), "In Kraft"),
        ],
    },
    Demo {
        title: "Kooperationsvereinbarung Case Management Caritasverband Rhein-Sieg",
        organisation: Some("Caritasverband Rhein-Sieg"),
        municipality: None,
        modules: &[Module::Module2],
        subject: "Case Management durch Fachkräfte des Caritasverbands",
        obligations: "Der Caritasverband stellt Arbeitsplätze; das KI koordiniert das \
                      Case Management und übt die Fachaufsicht aus.",
        document_file_id: Some("KI-2021-019"),
        steps: &[
            (
                S::Negotiating,
                None,
                None,
                "Gespräch mit der Geschäftsführung",
            ),
            (S::Signed, Some("2021-06-30"), None, "Unterzeichnet"),
        ],
    },
    Demo {
        title: "Kooperationsvereinbarung Case Management Siegburg",
        organisation: None,
        municipality: Some("Siegburg"),
        modules: &[Module::Module2],
        subject: "Case Management im Sozialraum Siegburg",
        obligations: "In Abstimmung",
        document_file_id: None,
        steps: &[(S::Negotiating, None, None, "Bedarfsabfrage ausgewertet")],
    },
    Demo {
        title: "Kooperationsvereinbarung Case Management Sankt Augustin",
        organisation: None,
        municipality: Some("Sankt Augustin"),
        modules: &[Module::Module2],
        subject: "Case Management in Sankt Augustin",
        obligations: "Noch offen",
        document_file_id: None,
        steps: &[],
    },
];

fn date(text: Option<&str>) -> Result<Option<NaiveDate>, StoreError> {
    text.map(|t| {
        NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .map_err(|e| StoreError::Corrupt(format!("demo date {t}: {e}")))
    })
    .transpose()
}

/// Demo data breaking a rule is a bug in this file.
fn rules_hold<T>(outcome: Checked<T>) -> Result<T, StoreError> {
    outcome.map_err(|violations| {
        let v = &violations[0];
        StoreError::Invalid {
            field: v.field,
            message: v.message.clone(),
        }
    })
}

/// Loads the demo cooperation agreements; returns how many were created.
pub fn demo(conn: &mut DbConn) -> Result<usize, StoreError> {
    let actor = Actor::system();
    let mut created = 0;
    for demo in DEMOS {
        if agreements::find_by_title(conn, demo.title)?.is_some() {
            continue;
        }
        let organisation_id = match demo.organisation {
            Some(name) => organisations::find_by_name(conn, name)?.map(|o| o.id),
            None => None,
        };
        let municipality_id = match demo.municipality {
            Some(name) => municipalities::find_by_name(conn, name)?.map(|m| m.id),
            None => None,
        };
        if organisation_id.is_none() && municipality_id.is_none() {
            continue;
        }
        let data = AgreementData {
            title: demo.title.into(),
            organisation_id,
            municipality_id,
            modules: demo.modules.to_vec(),
            position_ids: agreements::positions_of_partner(conn, organisation_id, municipality_id)?,
            service_supervision: "KI".into(),
            technical_supervision: "KI".into(),
            subject: Some(demo.subject.into()),
            obligations: Some(demo.obligations.into()),
            signed_on: None,
            starts_on: None,
            ends_on: None,
            document_name: None,
            document_url: None,
            document_file_id: demo.document_file_id.map(String::from),
        };
        let mut agreement = rules_hold(agreements::insert(conn, &actor, &data)?)?;
        for (to, signed_on, starts_on, comment) in demo.steps {
            let request = TransitionRequest {
                to: *to,
                signed_on: date(*signed_on)?,
                starts_on: date(*starts_on)?,
                ends_on: None,
                comment: Some((*comment).into()),
            };
            agreement = rules_hold(agreements::transition(
                conn,
                &actor,
                agreement.id,
                agreement.version,
                &request,
            )?)?;
        }
        created += 1;
    }
    Ok(created)
}
