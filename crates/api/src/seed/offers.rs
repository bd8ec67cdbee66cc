//! Demo offers (Angebote) of the actors the concept names: Jobcenter, Agentur für Arbeit,
//! Caritas and Diakonie (each carrying migration counselling, MBE, on one side of the Rhine and
//! refugee counselling), the Katholische Jugendagentur with the Jugendmigrationsdienst, the
//! county's youth office and the KI, the town of Troisdorf with its own youth office, a
//! migrant self-organisation and the volunteer initiatives. Fictional in detail, shaped like
//! the landscape the concept describes: dense offers in the towns along the Sieg (Siegburg,
//! Troisdorf, Sankt Augustin), where refugees and women are served by several organisations in
//! parallel (overlaps), and thin ones in the rural east (Much, Ruppichteroth, Windeck) and in
//! parts of the left bank, where new arrivals and refugees find no offer (gaps). Seniors have
//! none since the one offer for them ended in 2020.

use chrono::NaiveDate;
use kim_domain::client::ResidenceStatus as R;
use kim_domain::offer::{
    check_offer, parse_languages, OfferAccess as A, OfferTargetGroup as G, OfferTerms,
    OfferTopic as T,
};
use kim_store::offers::{self, OfferData};
use kim_store::{municipalities, organisations, DbConn, StoreError};

use super::KI;

const CARITAS: &str = "Caritasverband Rhein-Sieg";
const DIAKONIE: &str = "Diakonisches Werk an Sieg und Rhein";

const LEFT_BANK: &[&str] = &[
    "Alfter",
    "Bornheim",
    "Meckenheim",
    "Rheinbach",
    "Swisttal",
    "Wachtberg",
];

/// Every municipality but Troisdorf, which has its own youth office.
const WITHOUT_TROISDORF: &[&str] = &[
    "Alfter",
    "Bornheim",
    "Meckenheim",
    "Rheinbach",
    "Swisttal",
    "Wachtberg",
    "Bad Honnef",
    "Eitorf",
    "Hennef (Sieg)",
    "Königswinter",
    "Lohmar",
    "Much",
    "Neunkirchen-Seelscheid",
    "Niederkassel",
    "Ruppichteroth",
    "Sankt Augustin",
    "Siegburg",
    "Windeck",
];

/// One demo offer; `municipalities` empty means county-wide.
struct DemoOffer {
    organisation: &'static str,
    title: &'static str,
    topics: &'static [T],
    target_groups: &'static [G],
    municipalities: &'static [&'static str],
    ages: (Option<i32>, Option<i32>),
    residence_statuses: &'static [R],
    languages: &'static [&'static str],
    access: A,
    capacity_per_month: Option<i32>,
    active: (Option<&'static str>, Option<&'static str>),
    description: &'static str,
}

const OFFERS: &[DemoOffer] = &[
    DemoOffer {
        organisation: "Jobcenter Rhein-Sieg",
        title: "Integrationscoaching für Leistungsberechtigte nach dem SGB II",
        topics: &[T::Work, T::Language],
        target_groups: &[G::JobSeekers],
        municipalities: &[],
        ages: (Some(15), Some(67)),
        residence_statuses: &[
            R::RecognisedRefugee,
            R::ThirdCountryWithPermit,
            R::EuCitizen,
        ],
        languages: &["de", "ar", "en"],
        access: A::Appointment,
        capacity_per_month: Some(300),
        active: (Some("2019-01-01"), None),
        description: "Fallmanagement und Coaching auf dem Weg in Arbeit und Sprachkurs.",
    },
    DemoOffer {
        organisation: "Agentur für Arbeit Bonn/Rhein-Sieg",
        title: "Berufsberatung und Arbeitsvermittlung für Zugewanderte",
        topics: &[T::Work, T::Education],
        target_groups: &[G::JobSeekers, G::Youth, G::EuCitizens],
        municipalities: &[],
        ages: (Some(15), None),
        residence_statuses: &[],
        languages: &["de", "en"],
        access: A::Appointment,
        capacity_per_month: Some(200),
        active: (Some("2018-01-01"), None),
        description: "Berufsorientierung, Anerkennung ausländischer Abschlüsse, Vermittlung.",
    },
    DemoOffer {
        organisation: CARITAS,
        title: "Migrationsberatung für erwachsene Zuwanderer (MBE) linksrheinisch",
        topics: &[T::Counselling, T::Language, T::Housing, T::Residence],
        target_groups: &[G::NewArrivals, G::EuCitizens, G::Families],
        municipalities: LEFT_BANK,
        ages: (Some(27), None),
        residence_statuses: &[],
        languages: &["de", "ar", "fa", "ru"],
        access: A::WalkIn,
        capacity_per_month: Some(80),
        active: (Some("2015-01-01"), None),
        description:
            "Offene Sprechstunden in Bornheim und Meckenheim, Termine in den übrigen Kommunen.",
    },
    DemoOffer {
        organisation: DIAKONIE,
        title: "Migrationsberatung für erwachsene Zuwanderer (MBE) rechtsrheinisch",
        topics: &[T::Counselling, T::Language, T::Work, T::Residence],
        target_groups: &[G::NewArrivals, G::EuCitizens, G::Families],
        municipalities: &[
            "Bad Honnef",
            "Hennef (Sieg)",
            "Königswinter",
            "Lohmar",
            "Niederkassel",
            "Sankt Augustin",
            "Siegburg",
            "Troisdorf",
        ],
        ages: (Some(27), None),
        residence_statuses: &[],
        languages: &["de", "en", "tr", "uk"],
        access: A::WalkIn,
        capacity_per_month: Some(120),
        active: (Some("2015-01-01"), None),
        description: "Beratung zu Sprache, Arbeit und Aufenthalt in den Städten an Sieg und Rhein.",
    },
    DemoOffer {
        organisation: CARITAS,
        title: "Flüchtlingsberatung",
        topics: &[T::Counselling, T::Residence, T::Housing],
        target_groups: &[G::Refugees],
        municipalities: &[
            "Alfter",
            "Bornheim",
            "Hennef (Sieg)",
            "Sankt Augustin",
            "Siegburg",
            "Troisdorf",
        ],
        ages: (None, None),
        residence_statuses: &[R::AsylumSeeker, R::Tolerated, R::RecognisedRefugee],
        languages: &["de", "ar", "fa", "ti"],
        access: A::WalkIn,
        capacity_per_month: Some(90),
        active: (Some("2016-01-01"), None),
        description: "Asylverfahren, Unterbringung, Perspektiven.",
    },
    DemoOffer {
        organisation: DIAKONIE,
        title: "Asyl- und Flüchtlingsberatung mit Frauensprechstunde",
        topics: &[T::Counselling, T::Residence, T::Health],
        target_groups: &[G::Refugees, G::Women],
        municipalities: &[
            "Lohmar",
            "Niederkassel",
            "Sankt Augustin",
            "Siegburg",
            "Troisdorf",
        ],
        ages: (None, None),
        residence_statuses: &[R::AsylumSeeker, R::Tolerated, R::RecognisedRefugee],
        languages: &["de", "ar", "ku", "fa"],
        access: A::Appointment,
        capacity_per_month: Some(70),
        active: (Some("2016-01-01"), None),
        description: "Verfahrensberatung und eine Sprechstunde nur für Frauen.",
    },
    DemoOffer {
        organisation: "Katholische Jugendagentur Bonn – Jugendmigrationsdienst",
        title: "Jugendmigrationsdienst (JMD)",
        topics: &[T::Counselling, T::Education, T::Language],
        target_groups: &[G::Youth, G::NewArrivals],
        municipalities: &[
            "Bornheim",
            "Meckenheim",
            "Sankt Augustin",
            "Siegburg",
            "Troisdorf",
        ],
        ages: (Some(12), Some(27)),
        residence_statuses: &[],
        languages: &["de", "ar", "ru", "uk", "en"],
        access: A::WalkIn,
        capacity_per_month: Some(60),
        active: (Some("2017-01-01"), None),
        description: "Begleitung junger Zugewanderter in Schule, Ausbildung und Beruf.",
    },
    DemoOffer {
        organisation: "Jugendamt Rhein-Sieg-Kreis",
        title: "Frühe Hilfen für zugewanderte Familien",
        topics: &[T::Childcare, T::Counselling, T::Health],
        target_groups: &[G::Families, G::Children],
        municipalities: WITHOUT_TROISDORF,
        ages: (None, None),
        residence_statuses: &[],
        languages: &["de", "ar", "tr"],
        access: A::Appointment,
        capacity_per_month: Some(40),
        active: (Some("2020-01-01"), None),
        description: "Familienhebammen und Lotsendienst für Familien mit Kindern bis drei Jahre.",
    },
    DemoOffer {
        organisation: "Jugendamt Stadt Troisdorf",
        title: "Frühe Hilfen Troisdorf",
        topics: &[T::Childcare, T::Counselling],
        target_groups: &[G::Families, G::Children],
        municipalities: &["Troisdorf"],
        ages: (None, None),
        residence_statuses: &[],
        languages: &["de", "tr", "ar"],
        access: A::Appointment,
        capacity_per_month: Some(25),
        active: (Some("2020-01-01"), None),
        description: "Das Angebot des städtischen Jugendamts für Troisdorfer Familien.",
    },
    DemoOffer {
        organisation: KI,
        title: "Sprachförderung für mehrsprachige Kita-Kinder mit Sprachentwicklungsstörungen",
        topics: &[T::Language, T::Childcare, T::Health],
        target_groups: &[
            G::MultilingualChildrenWithLanguageDisorders,
            G::Children,
            G::Families,
        ],
        municipalities: &[],
        ages: (Some(0), Some(6)),
        residence_statuses: &[],
        languages: &["de", "ar", "tr", "ru", "uk"],
        access: A::ReferralOnly,
        capacity_per_month: Some(20),
        active: (Some("2021-07-01"), None),
        description:
            "Thematisches Case Management des KI (Modul 2); Zuweisung über Kita und Gesundheitsamt.",
    },
    DemoOffer {
        organisation: "Stadt Troisdorf",
        title: "Sprachcafé und Begegnungstreff Troisdorf",
        topics: &[T::Language, T::Leisure, T::Volunteering],
        target_groups: &[G::NewArrivals, G::Refugees, G::Women, G::Families],
        municipalities: &["Troisdorf"],
        ages: (None, None),
        residence_statuses: &[],
        languages: &["de", "ar", "tr"],
        access: A::WalkIn,
        capacity_per_month: None,
        active: (Some("2019-04-01"), None),
        description: "Wöchentlicher Treff im Bürgerhaus, von Ehrenamtlichen begleitet.",
    },
    DemoOffer {
        organisation: "Kurdische Gemeinschaft Rhein-Sieg/Bonn",
        title: "Frauentreff und Sozialberatung",
        topics: &[T::Counselling, T::Leisure],
        target_groups: &[G::Women, G::Families],
        municipalities: &["Siegburg", "Troisdorf"],
        ages: (None, None),
        residence_statuses: &[],
        languages: &["ku", "tr", "de"],
        access: A::WalkIn,
        capacity_per_month: Some(30),
        active: (Some("2018-01-01"), None),
        description: "Muttersprachliche Beratung und Begegnung für Frauen.",
    },
    DemoOffer {
        organisation: "Flüchtlingsinitiativen im Rhein-Sieg-Kreis",
        title: "Ehrenamtliche Patenschaften für Geflüchtete",
        topics: &[T::Volunteering, T::Language, T::Leisure],
        target_groups: &[G::Refugees, G::Families],
        municipalities: &["Eitorf", "Hennef (Sieg)", "Much", "Windeck"],
        ages: (None, None),
        residence_statuses: &[],
        languages: &["de", "en", "ar"],
        access: A::WalkIn,
        capacity_per_month: None,
        active: (Some("2015-09-01"), None),
        description: "Patinnen und Paten begleiten Familien im Alltag.",
    },
    DemoOffer {
        organisation: "Einbürgerungsbehörde Rhein-Sieg-Kreis",
        title: "Einbürgerungsberatung",
        topics: &[T::Naturalisation, T::Residence],
        target_groups: &[G::Other],
        municipalities: &[],
        ages: (Some(16), None),
        residence_statuses: &[
            R::ThirdCountryWithPermit,
            R::RecognisedRefugee,
            R::EuCitizen,
        ],
        languages: &["de"],
        access: A::Appointment,
        capacity_per_month: Some(150),
        active: (Some("2018-01-01"), None),
        description: "Voraussetzungen und Verfahren der Einbürgerung.",
    },
    DemoOffer {
        organisation: CARITAS,
        title: "Seniorenberatung für ältere Zugewanderte",
        topics: &[T::Counselling, T::Health],
        target_groups: &[G::Seniors],
        municipalities: &["Alfter", "Bornheim"],
        ages: (Some(60), None),
        residence_statuses: &[],
        languages: &["de", "ru", "tr"],
        access: A::Appointment,
        capacity_per_month: Some(15),
        active: (Some("2017-01-01"), Some("2020-12-31")),
        description: "Projekt ausgelaufen; seitdem kein Angebot für ältere Zugewanderte.",
    },
];

fn date(text: Option<&str>) -> Result<Option<NaiveDate>, StoreError> {
    text.map(|t| {
        NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .map_err(|e| StoreError::Corrupt(format!("demo date {t}: {e}")))
    })
    .transpose()
}

/// Creates the demo offers whose organisation exists and that are not there yet (same
/// organisation and title); returns how many it created.
pub fn demo(conn: &mut DbConn) -> Result<usize, StoreError> {
    let mut created = 0;
    for demo in OFFERS {
        let Some(organisation) = organisations::find_by_name(conn, demo.organisation)? else {
            continue;
        };
        if offers::find_by_title(conn, organisation.id, demo.title)?.is_some() {
            continue;
        }
        let mut municipality_ids = Vec::new();
        for name in demo.municipalities {
            if let Some(m) = municipalities::find_by_name(conn, name)? {
                municipality_ids.push(m.id);
            }
        }
        let (active_from, active_until) = (date(demo.active.0)?, date(demo.active.1)?);
        let county_wide = demo.municipalities.is_empty();
        let terms = OfferTerms {
            title: demo.title,
            description: Some(demo.description),
            topics: demo.topics,
            target_groups: demo.target_groups,
            county_wide,
            municipality_ids: &municipality_ids,
            min_age: demo.ages.0,
            max_age: demo.ages.1,
            capacity_per_month: demo.capacity_per_month,
            active_from,
            active_until,
        };
        // The demo obeys the rules it demonstrates.
        let invalid =
            |what: String| StoreError::Corrupt(format!("demo offer {}: {what}", demo.title));
        check_offer(&terms).map_err(|errors| invalid(format!("{errors:?}")))?;
        let languages = parse_languages(demo.languages).map_err(|e| invalid(e.to_string()))?;
        offers::insert(
            conn,
            &OfferData {
                organisation_id: organisation.id,
                title: demo.title.into(),
                description: Some(demo.description.into()),
                topics: demo.topics.to_vec(),
                target_groups: demo.target_groups.to_vec(),
                county_wide,
                municipality_ids,
                min_age: demo.ages.0,
                max_age: demo.ages.1,
                residence_statuses: demo.residence_statuses.to_vec(),
                languages,
                access: demo.access,
                capacity_per_month: demo.capacity_per_month,
                active_from,
                active_until,
            },
        )?;
        created += 1;
    }
    Ok(created)
}
