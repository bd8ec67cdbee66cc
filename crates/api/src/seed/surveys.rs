//! Demo needs survey: a questionnaire modeled on the concept's spring-2021 survey (existing
//! offers, needs by target group and topic, staff capacity, cooperation wishes) and its campaign
//! to the 19 municipalities, three organisations of the Freie Wohlfahrt and the Jobcenter,
//! closed, with most responses submitted, some drafts and some not started.
//!
//! Respondents: Siegburg is answered by the demo `project_group_member`, Troisdorf by the demo
//! `steering_member` (the town's representative), the Jobcenter by its partner token (scope
//! `surveys:write`); the other answers were entered by the coordination on the respondents'
//! behalf, as happens with questionnaires returned by e-mail. The answers are fictional,
//! derived from each respondent's position in the list so that they differ and stay stable.

use chrono::NaiveDate;
use kim_domain::survey::{
    AnswerValue, Answers, CampaignStatus, ChoiceOption, Question, QuestionKind, RespondentKind,
    RespondentSlot, Section,
};
use kim_domain::survey_results::NeedWeight;
use kim_store::audit::Actor;
use kim_store::surveys::campaigns::{self, CampaignData};
use kim_store::surveys::{questionnaires, responses};
use kim_store::{municipalities, organisations, users, DbConn, StoreError};

pub const QUESTIONNAIRE: &str = "Bedarfsabfrage KIM Rhein-Sieg-Kreis";
pub const CAMPAIGN: &str = "Bedarfsabfrage Frühjahr 2021";

const TOPICS: &[(&str, &str)] = &[
    ("language", "Sprache"),
    ("work", "Arbeit und Ausbildung"),
    ("education", "Schule und Bildung"),
    ("childcare", "Kinderbetreuung"),
    ("housing", "Wohnen"),
    ("health", "Gesundheit"),
    ("residence", "Aufenthalt und Einbürgerung"),
];

const GROUPS: &[(&str, &str)] = &[
    ("newcomers", "Neu Zugewanderte"),
    ("families", "Familien mit Kindern"),
    ("youth", "Junge Menschen unter 27"),
    ("women", "Frauen"),
    ("elderly", "Ältere Menschen"),
    ("tolerated", "Geduldete und Gestattete"),
    ("eu_citizens", "EU-Bürgerinnen und -Bürger"),
];

const PARTNERS: &[(&str, &str)] = &[
    ("jobcenter", "Jobcenter"),
    ("employment_agency", "Agentur für Arbeit"),
    ("welfare", "Freie Wohlfahrt"),
    ("youth_office", "Jugendamt"),
    ("immigration_office", "Ausländerbehörde"),
    ("migrant_organisations", "Migrantenselbstorganisationen"),
];

fn options(list: &[(&str, &str)]) -> Vec<ChoiceOption> {
    list.iter()
        .map(|(value, label)| ChoiceOption {
            value: (*value).into(),
            label: (*label).into(),
        })
        .collect()
}

fn question(key: &str, text: &str, kind: QuestionKind, required: bool) -> Question {
    Question {
        key: key.into(),
        text: text.into(),
        help_text: None,
        kind,
        required,
        options: Vec::new(),
        min: None,
        max: None,
    }
}

fn scale(key: &str, group: &str) -> Question {
    Question {
        help_text: Some("1 = kein Bedarf, 5 = sehr hoher ungedeckter Bedarf".into()),
        ..question(
            key,
            &format!("Wie hoch ist der ungedeckte Bedarf an Begleitung bei {group}?"),
            QuestionKind::Scale,
            true,
        )
    }
}

/// The questionnaire of the concept's spring-2021 survey, in four sections.
pub fn sections() -> Vec<Section> {
    use QuestionKind::*;
    vec![
        Section {
            title: "Bestehende Angebote".into(),
            description: Some("Angebote für Menschen mit Einwanderungsgeschichte vor Ort".into()),
            questions: vec![
                question(
                    "offers_overview",
                    "Welche Angebote der Integrationsarbeit gibt es vor Ort?",
                    FreeText,
                    true,
                ),
                question(
                    "offers_sufficient",
                    "Reichen die bestehenden Angebote aus?",
                    YesNo,
                    true,
                ),
                Question {
                    options: options(TOPICS),
                    ..question(
                        "main_gap_topic",
                        "In welchem Themenfeld fehlt am meisten?",
                        SingleChoice,
                        true,
                    )
                },
            ],
        },
        Section {
            title: "Bedarfe nach Zielgruppen und Themen".into(),
            description: None,
            questions: vec![
                scale("need_newcomers", "neu Zugewanderten"),
                scale("need_families", "Familien mit Kindern"),
                scale("need_youth", "jungen Menschen unter 27"),
                scale("need_tolerated", "Geduldeten und Gestatteten"),
                Question {
                    options: options(GROUPS),
                    ..question(
                        "underserved_groups",
                        "Welche Zielgruppen erreichen die Angebote kaum?",
                        MultipleChoice,
                        true,
                    )
                },
                Question {
                    options: options(TOPICS),
                    ..question(
                        "need_topics",
                        "Zu welchen Themen wird Case Management gebraucht?",
                        MultipleChoice,
                        false,
                    )
                },
            ],
        },
        Section {
            title: "Personalkapazität".into(),
            description: None,
            questions: vec![
                Question {
                    help_text: Some("In Vollzeitäquivalenten, z. B. 1.5".into()),
                    min: Some(0.0),
                    max: Some(50.0),
                    ..question(
                        "staff_fte",
                        "Wie viele Stellen arbeiten vor Ort in der Integrationsarbeit?",
                        Number,
                        true,
                    )
                },
                Question {
                    min: Some(0.0),
                    max: Some(10_000.0),
                    ..question(
                        "cm_cases_estimate",
                        "Wie viele Personen im Jahr bräuchten Case Management (Schätzung)?",
                        Number,
                        false,
                    )
                },
            ],
        },
        Section {
            title: "Kooperationswünsche".into(),
            description: None,
            questions: vec![
                question(
                    "wants_cm_placement",
                    "Wünschen Sie eine Case-Management-Stelle vor Ort (Kooperationsvereinbarung)?",
                    YesNo,
                    true,
                ),
                Question {
                    options: options(PARTNERS),
                    ..question(
                        "cooperation_partners",
                        "Mit wem wünschen Sie engere Zusammenarbeit?",
                        MultipleChoice,
                        false,
                    )
                },
                question(
                    "cooperation_remarks",
                    "Anmerkungen zur Zusammenarbeit",
                    FreeText,
                    false,
                ),
            ],
        },
    ]
}

/// Complete fictional answers for the `i`-th respondent.
fn answers(i: usize, name: &str) -> Answers {
    let pick = |list: &[(&str, &str)], k: usize| AnswerValue::Text(list[k % list.len()].0.into());
    let picks = |list: &[(&str, &str)], ks: &[usize]| {
        let mut chosen: Vec<String> = Vec::new();
        for (value, _) in list.iter() {
            if ks.iter().any(|k| list[k % list.len()].0 == *value) {
                chosen.push((*value).into());
            }
        }
        AnswerValue::Texts(chosen)
    };
    let level = |k: usize| AnswerValue::Number(((i * 7 + k * 3) % 5 + 1) as f64);
    let mut a = Answers::new();
    a.insert(
        "offers_overview".into(),
        AnswerValue::Text(format!(
            "{name}: Sprachcafé, Migrationsberatung an zwei Tagen, Hausaufgabenhilfe"
        )),
    );
    a.insert(
        "offers_sufficient".into(),
        AnswerValue::Bool(i.is_multiple_of(4)),
    );
    a.insert("main_gap_topic".into(), pick(TOPICS, i));
    a.insert("need_newcomers".into(), level(0));
    a.insert("need_families".into(), level(1));
    a.insert("need_youth".into(), level(2));
    a.insert("need_tolerated".into(), level(3));
    a.insert("underserved_groups".into(), picks(GROUPS, &[i, i + 3]));
    a.insert("need_topics".into(), picks(TOPICS, &[i, i + 2, i + 5]));
    a.insert(
        "staff_fte".into(),
        AnswerValue::Number(((i % 6) as f64) * 0.5 + 0.5),
    );
    a.insert(
        "cm_cases_estimate".into(),
        AnswerValue::Number((40 + (i * 37) % 160) as f64),
    );
    a.insert("wants_cm_placement".into(), AnswerValue::Bool(i % 3 != 2));
    a.insert("cooperation_partners".into(), picks(PARTNERS, &[i, i + 1]));
    if i.is_multiple_of(2) {
        a.insert(
            "cooperation_remarks".into(),
            AnswerValue::Text(
                "Regelmäßige Fallkonferenzen mit dem Jobcenter wären hilfreich".into(),
            ),
        );
    }
    a
}

/// Municipalities whose response is a draft, and those that have not started.
const DRAFTS: &[&str] = &["Much", "Windeck"];
const NOT_STARTED: &[&str] = &["Ruppichteroth"];
const ORGANISATIONS: &[&str] = &[
    "Caritasverband Rhein-Sieg",
    "Diakonisches Werk an Sieg und Rhein",
    "Katholische Jugendagentur Bonn – Jugendmigrationsdienst",
    super::DEMO_PARTNER,
];
const ORGANISATION_DRAFTS: &[&str] = &["Diakonisches Werk an Sieg und Rhein"];
const ORGANISATIONS_NOT_STARTED: &[&str] =
    &["Katholische Jugendagentur Bonn – Jugendmigrationsdienst"];

fn date(y: i32, m: u32, d: u32) -> Result<NaiveDate, StoreError> {
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| StoreError::Corrupt("demo date".into()))
}

/// Loads the demo survey unless its questionnaire exists; returns the responses created.
pub fn demo(conn: &mut DbConn) -> Result<usize, StoreError> {
    if questionnaires::find_by_title(conn, QUESTIONNAIRE)?.is_some() {
        return Ok(0);
    }
    let questionnaire = questionnaires::insert(
        conn,
        QUESTIONNAIRE,
        Some("Standardisierter Fragebogen an die Kommunen und die Freie Wohlfahrt: Angebote und Bedarfe vor Ort"),
        &sections(),
    )?;
    let version_id = questionnaire
        .versions
        .first()
        .map(|v| v.id)
        .ok_or_else(|| StoreError::Corrupt("questionnaire without version".into()))?;
    let named = |conn: &mut DbConn, username: &str| -> Result<Option<i64>, StoreError> {
        Ok(users::find_by_username(conn, username)?.map(|u| u.id))
    };
    let siegburg_user = named(conn, "project_group_member")?;
    let troisdorf_user = named(conn, "steering_member")?;
    let mut slots = Vec::new();
    let mut names = Vec::new();
    let page = kim_domain::paging::PageRequest {
        limit: kim_domain::paging::MAX_LIMIT,
        offset: 0,
    };
    let places = municipalities::list(
        conn,
        &municipalities::MunicipalityFilter::default(),
        municipalities::MunicipalitySort::Name,
        kim_store::Direction::Asc,
        page,
    )?;
    for m in places.items {
        let respondent_user_id = match m.name.as_str() {
            "Siegburg" => siegburg_user,
            "Troisdorf" => troisdorf_user,
            _ => None,
        };
        slots.push(RespondentSlot {
            kind: RespondentKind::Municipality,
            municipality_id: Some(m.id),
            organisation_id: None,
            respondent_user_id,
        });
        names.push(m.name);
    }
    for name in ORGANISATIONS {
        if let Some(o) = organisations::find_by_name(conn, name)? {
            slots.push(RespondentSlot {
                kind: RespondentKind::Organisation,
                municipality_id: None,
                organisation_id: Some(o.id),
                respondent_user_id: None,
            });
            names.push((*name).into());
        }
    }
    let mut data = CampaignData {
        questionnaire_version_id: version_id,
        title: CAMPAIGN.into(),
        description: Some(
            "Standardisierte Abfrage bei allen Kommunen und der Freien Wohlfahrt (Handlungskonzept, Kapitel 4 und 7)"
                .into(),
        ),
        opens_on: date(2021, 3, 1)?,
        closes_on: date(2021, 5, 31)?,
        status: CampaignStatus::Open,
    };
    let campaign = campaigns::insert(conn, &data, &slots)?;
    let mut created = 0;
    for respondent in campaigns::respondents(conn, campaign.id)? {
        let i = names
            .iter()
            .position(|n| *n == respondent.name)
            .unwrap_or(0);
        if NOT_STARTED.contains(&respondent.name.as_str())
            || ORGANISATIONS_NOT_STARTED.contains(&respondent.name.as_str())
        {
            continue;
        }
        let mut given = answers(i, &respondent.name);
        let draft = DRAFTS.contains(&respondent.name.as_str())
            || ORGANISATION_DRAFTS.contains(&respondent.name.as_str());
        if draft {
            // A draft answers the first two sections only.
            given.retain(|key, _| {
                !matches!(
                    key.as_str(),
                    "staff_fte"
                        | "cm_cases_estimate"
                        | "wants_cm_placement"
                        | "cooperation_partners"
                        | "cooperation_remarks"
                )
            });
        }
        let saved = responses::save(conn, respondent.id, 1, &given)?;
        if !draft {
            responses::submit(conn, respondent.id, saved.version, &given, &Actor::system())?;
        }
        created += 1;
    }
    campaigns::set_need_weights(
        conn,
        campaign.id,
        campaign.version,
        &[
            NeedWeight {
                question_key: "need_newcomers".into(),
                weight: 2.0,
            },
            NeedWeight {
                question_key: "need_families".into(),
                weight: 1.0,
            },
            NeedWeight {
                question_key: "need_youth".into(),
                weight: 1.0,
            },
            NeedWeight {
                question_key: "need_tolerated".into(),
                weight: 1.0,
            },
        ],
    )?;
    let current = campaigns::find(conn, campaign.id)?;
    data.status = CampaignStatus::Closed;
    campaigns::update(conn, campaign.id, current.version, &data)?;
    Ok(created)
}
