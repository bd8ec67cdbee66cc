//! Synthetic casework for volume tests and benchmarks (`kim seed --synthetic N`): realistic,
//! entirely fictional cases with their clients, consents, referrals, help-plan goals, contacts
//! and status histories, spread over the five years up to `until` and over the municipalities in
//! proportion to their population. The same seed and `until` give the same data.
//!
//! Cases are written in batches, one transaction each, many rows per statement.
//!
//! One file on purpose: the generator draws its values from one seeded random generator in a
//! fixed order, so the same seed gives the same data; split, that order would be spread over
//! files.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};
use kim_domain::case::{CaseStatus, CloseReason, IntakeChannel, TargetGroup, Topic};
use kim_domain::client::ResidenceStatus;
use kim_domain::help_plan::{ContactKind, GoalStatus};
use kim_domain::reference::LegalDomain;
use kim_domain::referral::ReferralStatus;
use kim_domain::report::StatisticalAttributes;
use kim_store::synthetic::{self, Reference, Rows, Value};
use kim_store::{DbConn, StoreError};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

/// Cases per transaction.
pub const BATCH_CASES: usize = 1000;

/// Tables with generated ids, in insertion order (parents first).
const ID_TABLES: &[&str] = &[
    "clients",
    "cases",
    "case_events",
    "consents",
    "referrals",
    "referral_events",
    "goals",
    "contacts",
];

/// Where the next batch starts numbering, per table of [`ID_TABLES`].
#[derive(Debug, Clone)]
pub struct Cursor {
    next: Vec<i64>,
}

impl Cursor {
    pub fn read(conn: &mut DbConn) -> Result<Cursor, StoreError> {
        Ok(Cursor {
            next: synthetic::next_ids(conn, ID_TABLES)?,
        })
    }

    fn take(&mut self, table: usize) -> i64 {
        let id = self.next[table];
        self.next[table] += 1;
        id
    }
}

/// Moves the identity sequences on after the load (PostgreSQL).
pub fn finish(conn: &mut DbConn) -> Result<(), StoreError> {
    synthetic::finish(conn, ID_TABLES)
}

// Fictional but plausible distributions for a county in North Rhine-Westphalia.
const COUNTRIES: &[(&str, u32)] = &[
    ("SY", 22),
    ("UA", 20),
    ("AF", 10),
    ("TR", 8),
    ("IQ", 6),
    ("RO", 5),
    ("PL", 4),
    ("BG", 4),
    ("ER", 3),
    ("IR", 3),
    ("XK", 3),
    ("RU", 3),
    ("NG", 2),
    ("GN", 2),
    ("SO", 2),
    ("DE", 3),
];
const GENDERS: &[(Option<&str>, u32)] = &[
    (Some("female"), 50),
    (Some("male"), 46),
    (Some("diverse"), 1),
    (None, 3),
];
const TARGET_GROUPS: &[(TargetGroup, u32)] = &[
    (TargetGroup::NewArrivals, 55),
    (TargetGroup::MultilingualChildrenWithLanguageDisorders, 5),
    (TargetGroup::Other, 40),
];
const INTAKE: &[(IntakeChannel, u32)] = &[
    (IntakeChannel::SelfReferral, 45),
    (IntakeChannel::ReferredByOrganisation, 45),
    (IntakeChannel::Outreach, 10),
];
const CLOSE_REASONS: &[(CloseReason, u32)] = &[
    (CloseReason::GoalsAchieved, 45),
    (CloseReason::HandedOver, 20),
    (CloseReason::MovedAway, 10),
    (CloseReason::NoContact, 15),
    (CloseReason::Declined, 7),
    (CloseReason::Other, 3),
];
const FIRST_NAMES: &[&str] = &[
    "Amal", "Yusuf", "Olena", "Dmytro", "Layla", "Omar", "Mariam", "Ahmad", "Iryna", "Hassan",
    "Fatima", "Bogdan", "Zainab", "Karim", "Ana", "Elif", "Samir", "Nadia", "Tariq", "Sofia",
];
const FAMILY_NAMES: &[&str] = &[
    "Example",
    "Muster",
    "Beispiel",
    "Fiktiv",
    "Probe",
    "Testfeld",
    "Erfunden",
    "Platzhalter",
];

fn weighted<T: Copy>(rng: &mut StdRng, table: &[(T, u32)]) -> T {
    let total: u32 = table.iter().map(|(_, w)| w).sum();
    let mut pick = rng.random_range(0..total.max(1));
    for (value, weight) in table {
        if pick < *weight {
            return *value;
        }
        pick -= weight;
    }
    table[0].0
}

fn residence_for(rng: &mut StdRng, country: &str) -> ResidenceStatus {
    use ResidenceStatus::*;
    match country {
        "RO" | "PL" | "BG" => EuCitizen,
        "DE" => Naturalised,
        "UA" => weighted(rng, &[(ThirdCountryWithPermit, 85), (Other, 15)]),
        _ => weighted(
            rng,
            &[
                (AsylumSeeker, 30),
                (RecognisedRefugee, 35),
                (Tolerated, 10),
                (ThirdCountryWithPermit, 15),
                (Naturalised, 5),
                (Other, 5),
            ],
        ),
    }
}

fn at_noon(date: NaiveDate, minute: u32) -> NaiveDateTime {
    date.and_time(NaiveTime::from_hms_opt(9 + minute / 60 % 8, minute % 60, 0).unwrap_or_default())
}

/// The generator: one per run, so that the random sequence continues across batches.
pub struct Generator {
    rng: StdRng,
    reference: Reference,
    start: NaiveDate,
    until: NaiveDate,
}

impl Generator {
    pub fn new(seed: u64, reference: Reference, until: NaiveDate) -> Result<Generator, String> {
        if reference.municipalities.is_empty() || reference.case_managers.is_empty() {
            return Err(
                "synthetic data needs municipalities and case managers: seed the demo data first"
                    .into(),
            );
        }
        let start = NaiveDate::from_ymd_opt(until.year() - 5, until.month(), 1)
            .ok_or("--until is out of range")?;
        Ok(Generator {
            rng: StdRng::seed_from_u64(seed),
            reference,
            start,
            until,
        })
    }

    fn municipality(&mut self) -> i64 {
        let total: i64 = self.reference.municipalities.iter().map(|(_, p)| p).sum();
        let mut pick = self.rng.random_range(0..total.max(1));
        for (id, population) in &self.reference.municipalities {
            if pick < *population {
                return *id;
            }
            pick -= population;
        }
        self.reference.municipalities[0].0
    }

    fn day_after(&mut self, from: NaiveDate, min: i64, max: i64) -> NaiveDate {
        from + Duration::days(self.rng.random_range(min..=max))
    }

    /// Generates `count` cases with everything around them, numbered from `cursor`.
    pub fn batch(&mut self, count: usize, cursor: &mut Cursor) -> Vec<Rows> {
        let mut clients = Rows::new(
            "clients",
            &[
                "id",
                "reference",
                "given_name",
                "family_name",
                "birth_year",
                "gender",
                "languages",
                "country_of_origin",
                "residence_status",
                "municipality_id",
                "organisation_id",
                "created_by",
                "version",
                "created_at",
                "updated_at",
            ],
            true,
        );
        let mut cases = Rows::new(
            "cases",
            &[
                "id",
                "lead_client_id",
                "assigned_user_id",
                "deputy_user_id",
                "municipality_id",
                "target_group",
                "intake_channel",
                "referred_by_organisation_id",
                "arrived_on",
                "other_case_management",
                "eligible",
                "eligibility_justification",
                "status",
                "status_since",
                "close_reason",
                "opened_on",
                "version",
                "created_at",
                "updated_at",
            ],
            true,
        );
        let mut members = Rows::new(
            "case_clients",
            &[
                "case_id",
                "client_id",
                "age_band",
                "gender",
                "country_of_origin",
                "residence_status",
            ],
            false,
        );
        let mut domains = Rows::new("case_legal_domains", &["case_id", "legal_domain"], false);
        let mut topics = Rows::new("case_topics", &["case_id", "topic"], false);
        let mut events = Rows::new(
            "case_events",
            &[
                "id",
                "case_id",
                "kind",
                "from_status",
                "to_status",
                "close_reason",
                "reason",
                "occurred_on",
                "occurred_at",
                "actor_id",
            ],
            true,
        );
        let mut consents = Rows::new(
            "consents",
            &[
                "id",
                "client_id",
                "purposes",
                "categories",
                "given_on",
                "valid_until",
                "revoked_on",
                "document_reference",
                "recorded_by",
                "version",
                "created_at",
                "updated_at",
            ],
            true,
        );
        let mut recipients = Rows::new(
            "consent_recipients",
            &["consent_id", "organisation_id"],
            false,
        );
        let mut referrals = Rows::new(
            "referrals",
            &[
                "id",
                "case_id",
                "client_id",
                "recipient_organisation_id",
                "offer",
                "purpose",
                "message",
                "shared_categories",
                "due_on",
                "status",
                "status_reason",
                "consent_ids",
                "sent_at",
                "created_by",
                "version",
                "created_at",
                "updated_at",
            ],
            true,
        );
        let mut referral_events = Rows::new(
            "referral_events",
            &[
                "id",
                "referral_id",
                "from_status",
                "to_status",
                "reason",
                "actor_kind",
                "actor_id",
                "occurred_at",
            ],
            true,
        );
        let mut goals = Rows::new(
            "goals",
            &[
                "id",
                "case_id",
                "text",
                "topic",
                "target_on",
                "status",
                "created_by",
                "version",
                "created_at",
                "updated_at",
            ],
            true,
        );
        let mut contacts = Rows::new(
            "contacts",
            &[
                "id",
                "case_id",
                "occurred_on",
                "kind",
                "duration_minutes",
                "participants",
                "note",
                "created_by",
                "version",
                "created_at",
                "updated_at",
            ],
            true,
        );

        let span = (self.until - self.start).num_days().max(1);
        for _ in 0..count {
            let case_id = cursor.take(1);
            let opened = self.start + Duration::days(self.rng.random_range(0..=span));
            let opened_at = at_noon(opened, self.rng.random_range(0..480));
            let municipality = self.municipality();
            let (manager, organisation) = *self
                .reference
                .case_managers
                .choose(&mut self.rng)
                .unwrap_or(&self.reference.case_managers[0]);
            let country = weighted(&mut self.rng, COUNTRIES);
            let residence = residence_for(&mut self.rng, country);
            let household = weighted(
                &mut self.rng,
                &[(1usize, 60), (2, 15), (3, 12), (4, 8), (5, 5)],
            );

            // Clients: an adult lead, a partner and children in larger households.
            let mut client_ids = Vec::with_capacity(household);
            for k in 0..household {
                let client_id = cursor.take(0);
                let age = match k {
                    0 => self.rng.random_range(18..=70),
                    1 => self.rng.random_range(18..=60),
                    _ => self.rng.random_range(0..=17),
                };
                let birth_year = opened.year() - age;
                let gender = weighted(&mut self.rng, GENDERS);
                let given = FIRST_NAMES.choose(&mut self.rng).copied().unwrap_or("Amal");
                let family = FAMILY_NAMES
                    .choose(&mut self.rng)
                    .copied()
                    .unwrap_or("Example");
                let reference = format!("K-{}-{client_id:06}", opened.year());
                clients.push(vec![
                    client_id.into(),
                    reference.into(),
                    given.into(),
                    family.into(),
                    birth_year.into(),
                    gender.into(),
                    "de,en".into(),
                    country.into(),
                    residence.as_str().into(),
                    municipality.into(),
                    organisation.into(),
                    manager.into(),
                    1i32.into(),
                    opened_at.into(),
                    opened_at.into(),
                ]);
                let captured = StatisticalAttributes::capture(
                    Some(birth_year),
                    gender,
                    Some(country),
                    Some(residence.as_str()),
                    opened.year(),
                );
                members.push(vec![
                    case_id.into(),
                    client_id.into(),
                    captured.age_band.map(|b| b.as_str()).into(),
                    captured.gender.into(),
                    captured.country_of_origin.into(),
                    captured.residence_status.into(),
                ]);
                client_ids.push(client_id);
            }

            // What the case is about.
            let mut case_topics: Vec<Topic> = Vec::new();
            for _ in 0..self.rng.random_range(1..=3) {
                let t = *Topic::ALL.choose(&mut self.rng).unwrap_or(&Topic::Language);
                if !case_topics.contains(&t) {
                    case_topics.push(t);
                }
            }
            for t in &case_topics {
                topics.push(vec![case_id.into(), t.as_str().into()]);
            }
            let mut case_domains: Vec<LegalDomain> = Vec::new();
            for _ in 0..self.rng.random_range(1..=2) {
                let d = *LegalDomain::ALL
                    .choose(&mut self.rng)
                    .unwrap_or(&LegalDomain::SgbII);
                if !case_domains.contains(&d) {
                    case_domains.push(d);
                }
            }
            for d in &case_domains {
                domains.push(vec![case_id.into(), d.as_str().into()]);
            }
            let intake = weighted(&mut self.rng, INTAKE);
            let referred_by = (intake == IntakeChannel::ReferredByOrganisation)
                .then(|| {
                    self.reference
                        .organisations
                        .choose(&mut self.rng)
                        .map(|o| o.0)
                })
                .flatten();
            let intake = if referred_by.is_some() {
                intake
            } else if intake == IntakeChannel::ReferredByOrganisation {
                IntakeChannel::SelfReferral
            } else {
                intake
            };
            let eligible = self.rng.random_bool(0.95);

            // Status history: intake, active (most), sometimes a pause, closed when old enough.
            let mut status = CaseStatus::Intake;
            let mut since = opened;
            let mut close_reason = None;
            events.push(vec![
                cursor.take(2).into(),
                case_id.into(),
                "opened".into(),
                Value::Null,
                "intake".into(),
                Value::Null,
                Value::Null,
                opened.into(),
                opened_at.into(),
                manager.into(),
            ]);
            let mut moves: Vec<(CaseStatus, NaiveDate)> = Vec::new();
            let activated = self.day_after(opened, 1, 30);
            if activated <= self.until && self.rng.random_bool(0.9) {
                moves.push((CaseStatus::Active, activated));
                if self.rng.random_bool(0.15) {
                    let paused = self.day_after(activated, 20, 200);
                    moves.push((CaseStatus::Paused, paused));
                    moves.push((CaseStatus::Active, self.day_after(paused, 10, 90)));
                }
            }
            let last = moves.last().map_or(opened, |m| m.1);
            let closed = self.day_after(last, 30, 720);
            if closed <= self.until && self.rng.random_bool(0.85) {
                moves.push((CaseStatus::Closed, closed));
            }
            for (to, on) in moves {
                if on > self.until {
                    break;
                }
                let reason =
                    (to == CaseStatus::Closed).then(|| weighted(&mut self.rng, CLOSE_REASONS));
                events.push(vec![
                    cursor.take(2).into(),
                    case_id.into(),
                    "status".into(),
                    status.as_str().into(),
                    to.as_str().into(),
                    reason.map(|r| r.as_str()).into(),
                    (reason == Some(CloseReason::Other))
                        .then_some("fiktiver Grund")
                        .into(),
                    on.into(),
                    at_noon(on, 30).into(),
                    manager.into(),
                ]);
                status = to;
                since = on;
                close_reason = reason;
            }
            let end = if status == CaseStatus::Closed {
                since
            } else {
                self.until
            };
            cases.push(vec![
                case_id.into(),
                client_ids[0].into(),
                manager.into(),
                Value::Null,
                municipality.into(),
                weighted(&mut self.rng, TARGET_GROUPS).as_str().into(),
                intake.as_str().into(),
                referred_by.into(),
                Some(self.day_after(opened, -700, -10)).into(),
                "none".into(),
                eligible.into(),
                (!eligible)
                    .then_some("Ausnahme nach fachlicher Einschätzung (fiktiv)")
                    .into(),
                status.as_str().into(),
                since.into(),
                close_reason.map(|r| r.as_str()).into(),
                opened.into(),
                1i32.into(),
                opened_at.into(),
                at_noon(since, 45).into(),
            ]);

            // Consent of the lead client for referrals, naming one or two recipients.
            let mut consent_id = None;
            let mut consented: Vec<i64> = Vec::new();
            if self.rng.random_bool(0.7) && !self.reference.organisations.is_empty() {
                let id = cursor.take(3);
                consent_id = Some(id);
                let given = self.day_after(opened, 0, 14).min(end);
                consents.push(vec![
                    id.into(),
                    client_ids[0].into(),
                    "referral,coordinated_support".into(),
                    "identity,contact,case_content".into(),
                    given.into(),
                    Some(given + Duration::days(730)).into(),
                    Value::Null,
                    Value::Null,
                    manager.into(),
                    1i32.into(),
                    at_noon(given, 5).into(),
                    at_noon(given, 5).into(),
                ]);
                for _ in 0..self.rng.random_range(1..=2) {
                    if let Some((org, _)) = self.reference.organisations.choose(&mut self.rng) {
                        if !consented.contains(org) {
                            consented.push(*org);
                            recipients.push(vec![id.into(), (*org).into()]);
                        }
                    }
                }
            }

            // Referrals to the consented recipients, with their answers.
            for org in consented.clone() {
                if !self.rng.random_bool(0.8) {
                    continue;
                }
                let id = cursor.take(4);
                let sent = self.day_after(opened, 7, 120);
                if sent > end {
                    continue;
                }
                let sent_at = at_noon(sent, 10);
                let mut path = vec![(ReferralStatus::Sent, sent_at)];
                let outcome = weighted(
                    &mut self.rng,
                    &[
                        (ReferralStatus::Accepted, 50),
                        (ReferralStatus::Declined, 12),
                        (ReferralStatus::Completed, 25),
                        (ReferralStatus::Withdrawn, 5),
                        (ReferralStatus::Sent, 8),
                    ],
                );
                let answered = at_noon(self.day_after(sent, 1, 40), 20);
                match outcome {
                    ReferralStatus::Completed => {
                        path.push((ReferralStatus::Accepted, answered));
                        path.push((
                            ReferralStatus::Completed,
                            at_noon(self.day_after(answered.date(), 10, 150), 25),
                        ));
                    }
                    ReferralStatus::Sent => {}
                    other => path.push((other, answered)),
                }
                path.retain(|(_, at)| at.date() <= self.until);
                let mut from: Option<ReferralStatus> = Some(ReferralStatus::Draft);
                for (to, at) in &path {
                    referral_events.push(vec![
                        cursor.take(5).into(),
                        id.into(),
                        from.map(|s| s.as_str()).into(),
                        to.as_str().into(),
                        (*to == ReferralStatus::Declined)
                            .then_some("keine Kapazität (fiktiv)")
                            .into(),
                        "user".into(),
                        manager.into(),
                        (*at).into(),
                    ]);
                    from = Some(*to);
                }
                let (status, updated) = path
                    .last()
                    .copied()
                    .unwrap_or((ReferralStatus::Sent, sent_at));
                let topic = case_topics.first().copied().unwrap_or(Topic::Other);
                referrals.push(vec![
                    id.into(),
                    case_id.into(),
                    client_ids[0].into(),
                    org.into(),
                    Value::Null,
                    format!("Unterstützung zum Thema {}", topic.as_str()).into(),
                    Value::Null,
                    "identity,contact".into(),
                    Value::Null,
                    status.as_str().into(),
                    Value::Null,
                    consent_id.map(|c| c.to_string()).unwrap_or_default().into(),
                    sent_at.into(),
                    manager.into(),
                    1i32.into(),
                    sent_at.into(),
                    updated.into(),
                ]);
            }

            // Help-plan goals, one or more per topic.
            for topic in &case_topics {
                let id = cursor.take(6);
                let set = self.day_after(opened, 0, 30).min(end);
                let status = if status == CaseStatus::Closed {
                    weighted(
                        &mut self.rng,
                        &[
                            (GoalStatus::Achieved, 60),
                            (GoalStatus::Dropped, 30),
                            (GoalStatus::Open, 10),
                        ],
                    )
                } else {
                    weighted(
                        &mut self.rng,
                        &[
                            (GoalStatus::Open, 70),
                            (GoalStatus::Achieved, 20),
                            (GoalStatus::Dropped, 10),
                        ],
                    )
                };
                goals.push(vec![
                    id.into(),
                    case_id.into(),
                    format!("Ziel im Bereich {} (fiktiv)", topic.as_str()).into(),
                    topic.as_str().into(),
                    Some(set + Duration::days(180)).into(),
                    status.as_str().into(),
                    manager.into(),
                    1i32.into(),
                    at_noon(set, 15).into(),
                    at_noon(end.max(set), 15).into(),
                ]);
            }

            // Documented contacts between opening and the end of the case.
            for _ in 0..self.rng.random_range(1..=5) {
                let on = self.day_after(opened, 0, (end - opened).num_days().max(0));
                let kind = *ContactKind::ALL
                    .choose(&mut self.rng)
                    .unwrap_or(&ContactKind::InPerson);
                contacts.push(vec![
                    cursor.take(7).into(),
                    case_id.into(),
                    on.into(),
                    kind.as_str().into(),
                    self.rng.random_range(15..=120i32).into(),
                    "[]".into(),
                    Value::Null,
                    manager.into(),
                    1i32.into(),
                    at_noon(on, 50).into(),
                    at_noon(on, 50).into(),
                ]);
            }
        }
        vec![
            clients,
            cases,
            members,
            domains,
            topics,
            events,
            consents,
            recipients,
            referrals,
            referral_events,
            goals,
            contacts,
        ]
    }
}
