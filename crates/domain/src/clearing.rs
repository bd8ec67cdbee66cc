//! Kompetenzerfassung (clearing record): what one client of a case brings along — languages with
//! their level, schooling, vocational qualifications and the state of their recognition, work
//! experience, driving licence, childcare need. Every field is optional and kept minimal (data
//! minimisation): no certificates, no employers, no dates of birth of children; only what the
//! case management needs to plan the next steps, and counts for the reports.

use crate::field::FieldError;

crate::vocabulary! {
    /// Sprachniveau nach dem Gemeinsamen Europäischen Referenzrahmen (CEFR level), or first language.
    pub enum LanguageLevel {
        /// Anfänger (breakthrough)
        A1 => "a1",
        /// Grundlegende Kenntnisse (waystage)
        A2 => "a2",
        /// Fortgeschrittene Sprachverwendung (threshold)
        B1 => "b1",
        /// Selbständige Sprachverwendung (vantage)
        B2 => "b2",
        /// Fachkundige Sprachkenntnisse (effective operational proficiency)
        C1 => "c1",
        /// Annähernd muttersprachliche Kenntnisse (mastery)
        C2 => "c2",
        /// Erstsprache / Muttersprache (first language)
        Native => "native",
    }
}

crate::vocabulary! {
    /// Höchster Schulabschluss (highest level of schooling completed).
    pub enum SchoolingLevel {
        /// Kein Schulabschluss
        None => "none",
        /// Grundschule (primary)
        Primary => "primary",
        /// Sekundarstufe I (lower secondary, e.g. Hauptschul- or Realschulabschluss)
        LowerSecondary => "lower_secondary",
        /// Sekundarstufe II (upper secondary, e.g. Abitur)
        UpperSecondary => "upper_secondary",
        /// Hochschule (tertiary)
        Tertiary => "tertiary",
    }
}

crate::vocabulary! {
    /// Stand des Anerkennungsverfahrens (recognition procedure of a foreign vocational qualification).
    pub enum RecognitionStatus {
        /// Nicht begonnen
        NotStarted => "not_started",
        /// Antrag gestellt, Verfahren läuft (started)
        Started => "started",
        /// Teilweise anerkannt (Teilanerkennung, e.g. with an adaptation measure owed)
        PartiallyRecognised => "partially_recognised",
        /// Anerkannt (full equivalence)
        Recognised => "recognised",
        /// Abgelehnt (refused)
        Refused => "refused",
    }
}

crate::vocabulary! {
    /// Führerscheinklasse (EU driving licence class).
    pub enum LicenceClass {
        /// Mopeds
        Am => "AM",
        /// Light motorcycles
        A1 => "A1",
        /// Medium motorcycles
        A2 => "A2",
        /// Motorcycles
        A => "A",
        /// Cars
        B => "B",
        /// Cars with a heavy trailer
        Be => "BE",
        /// Medium lorries
        C1 => "C1",
        /// Medium lorries with trailer
        C1e => "C1E",
        /// Lorries
        C => "C",
        /// Lorries with trailer
        Ce => "CE",
        /// Minibuses
        D1 => "D1",
        /// Minibuses with trailer
        D1e => "D1E",
        /// Buses
        D => "D",
        /// Buses with trailer
        De => "DE",
        /// Agricultural tractors (slow)
        L => "L",
        /// Agricultural tractors
        T => "T",
    }
}

/// The most entries of each list: a clearing record is a summary, not a CV.
pub const MAX_ENTRIES: usize = 10;
/// The longest title of a qualification or field of work.
pub const MAX_TITLE_CHARS: usize = 200;
/// The most years of schooling.
pub const MAX_SCHOOLING_YEARS: i32 = 30;
/// The most years of experience in one field.
pub const MAX_EXPERIENCE_YEARS: i32 = 60;

/// A language the client speaks: ISO 639 code (`de`, `ar`, `prs`) and level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Language {
    pub language: String,
    pub level: LanguageLevel,
}

/// A vocational qualification (Berufsabschluss) and its recognition procedure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Qualification {
    /// The occupation, e.g. "Elektroniker/in".
    pub title: String,
    pub recognition: RecognitionStatus,
}

/// Work experience in one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkExperience {
    pub field: String,
    pub years: i32,
}

/// The content of a clearing record; every field may be empty.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Clearing {
    pub languages: Vec<Language>,
    pub schooling_years: Option<i32>,
    pub schooling_level: Option<SchoolingLevel>,
    pub vocational_qualifications: Vec<Qualification>,
    pub work_experience: Vec<WorkExperience>,
    pub driving_licence: Option<bool>,
    /// Sorted, each class once.
    pub driving_licence_classes: Vec<LicenceClass>,
    pub childcare_need: Option<bool>,
}

/// An ISO 639-1 or 639-3 code: two or three lower-case letters.
pub fn is_language_code(code: &str) -> bool {
    (2..=3).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_lowercase())
}

fn title_ok(text: &str) -> bool {
    !text.trim().is_empty() && text.chars().count() <= MAX_TITLE_CHARS
}

impl Clearing {
    /// Checks every field. Single values (code pattern, lengths, ranges, list sizes) are
    /// `schema` errors, as the document states them; a language listed twice, and licence
    /// classes without a licence, are `rule` errors. Titles come back trimmed and the licence
    /// classes sorted.
    pub fn check(mut self) -> Result<Clearing, Vec<FieldError>> {
        let mut errors = Vec::new();
        let too_many = format!("must list at most {MAX_ENTRIES} entries");
        if self.languages.len() > MAX_ENTRIES {
            errors.push(FieldError::new("languages", too_many.clone()));
        }
        if self
            .languages
            .iter()
            .any(|l| !is_language_code(&l.language))
        {
            errors.push(FieldError::new(
                "languages",
                "language must be an ISO 639 code of two or three lower-case letters",
            ));
        }
        // `und` (undetermined) is what an erasure leaves; it may stand more than once.
        let mut codes: Vec<&str> = self
            .languages
            .iter()
            .map(|l| l.language.as_str())
            .filter(|c| *c != "und")
            .collect();
        codes.sort_unstable();
        if codes.windows(2).any(|w| w[0] == w[1]) {
            errors.push(FieldError::rule(
                "languages",
                "each language may be listed once",
            ));
        }
        if let Some(years) = self.schooling_years {
            if !(0..=MAX_SCHOOLING_YEARS).contains(&years) {
                errors.push(FieldError::new(
                    "schooling_years",
                    format!("must be between 0 and {MAX_SCHOOLING_YEARS}"),
                ));
            }
        }
        if self.vocational_qualifications.len() > MAX_ENTRIES {
            errors.push(FieldError::new(
                "vocational_qualifications",
                too_many.clone(),
            ));
        }
        if self
            .vocational_qualifications
            .iter()
            .any(|q| !title_ok(&q.title))
        {
            errors.push(FieldError::new(
                "vocational_qualifications",
                format!("title must be 1 to {MAX_TITLE_CHARS} characters, not blank"),
            ));
        }
        if self.work_experience.len() > MAX_ENTRIES {
            errors.push(FieldError::new("work_experience", too_many));
        }
        if self.work_experience.iter().any(|w| !title_ok(&w.field)) {
            errors.push(FieldError::new(
                "work_experience",
                format!("field must be 1 to {MAX_TITLE_CHARS} characters, not blank"),
            ));
        }
        if self
            .work_experience
            .iter()
            .any(|w| !(0..=MAX_EXPERIENCE_YEARS).contains(&w.years))
        {
            errors.push(FieldError::new(
                "work_experience",
                format!("years must be between 0 and {MAX_EXPERIENCE_YEARS}"),
            ));
        }
        if !self.driving_licence_classes.is_empty() && self.driving_licence != Some(true) {
            errors.push(FieldError::rule(
                "driving_licence_classes",
                "classes need driving_licence: true",
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        for q in &mut self.vocational_qualifications {
            q.title = q.title.trim().to_owned();
        }
        for w in &mut self.work_experience {
            w.field = w.field.trim().to_owned();
        }
        self.driving_licence_classes.sort_unstable();
        self.driving_licence_classes.dedup();
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> Clearing {
        Clearing {
            languages: vec![
                Language {
                    language: "ar".into(),
                    level: LanguageLevel::Native,
                },
                Language {
                    language: "de".into(),
                    level: LanguageLevel::B1,
                },
            ],
            schooling_years: Some(12),
            schooling_level: Some(SchoolingLevel::UpperSecondary),
            vocational_qualifications: vec![Qualification {
                title: " Elektroniker ".into(),
                recognition: RecognitionStatus::Started,
            }],
            work_experience: vec![WorkExperience {
                field: "Elektroinstallation".into(),
                years: 6,
            }],
            driving_licence: Some(true),
            driving_licence_classes: vec![LicenceClass::Be, LicenceClass::B, LicenceClass::B],
            childcare_need: Some(false),
        }
    }

    fn fields(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field).collect()
    }

    #[test]
    fn an_empty_record_is_valid() {
        assert_eq!(Clearing::default().check(), Ok(Clearing::default()));
    }

    #[test]
    fn a_full_record_is_trimmed_and_its_classes_sorted_once() {
        let checked = full().check().unwrap();
        assert_eq!(checked.vocational_qualifications[0].title, "Elektroniker");
        assert_eq!(
            checked.driving_licence_classes,
            vec![LicenceClass::B, LicenceClass::Be]
        );
    }

    #[test]
    fn language_codes_are_two_or_three_lower_case_letters() {
        assert!(is_language_code("de"));
        assert!(is_language_code("prs"));
        for bad in ["", "d", "DE", "deut", "d1", "de "] {
            assert!(!is_language_code(bad), "{bad:?}");
        }
        let mut c = full();
        c.languages[0].language = "Arabic".into();
        let errors = c.check().unwrap_err();
        assert_eq!(fields(&errors), ["languages"]);
        assert_eq!(errors[0].kind, crate::field::FieldErrorKind::Schema);
    }

    #[test]
    fn a_language_listed_twice_is_a_rule_error() {
        let mut c = full();
        c.languages[1].language = "ar".into();
        let errors = c.check().unwrap_err();
        assert_eq!(fields(&errors), ["languages"]);
        assert_eq!(errors[0].kind, crate::field::FieldErrorKind::Rule);
    }

    #[test]
    fn ranges_and_list_sizes_are_checked() {
        let mut c = full();
        c.schooling_years = Some(31);
        c.work_experience[0].years = 61;
        c.vocational_qualifications = (0..11)
            .map(|i| Qualification {
                title: format!("q{i}"),
                recognition: RecognitionStatus::NotStarted,
            })
            .collect();
        let errors = c.check().unwrap_err();
        assert_eq!(
            fields(&errors),
            [
                "schooling_years",
                "vocational_qualifications",
                "work_experience"
            ]
        );
        let mut c = full();
        c.schooling_years = Some(-1);
        c.work_experience[0].years = -1;
        assert_eq!(c.check().unwrap_err().len(), 2);
        let mut c = full();
        c.schooling_years = Some(0);
        c.work_experience[0].years = 60;
        assert!(c.check().is_ok());
    }

    #[test]
    fn blank_or_long_titles_are_refused() {
        let mut c = full();
        c.vocational_qualifications[0].title = "  ".into();
        c.work_experience[0].field = "x".repeat(201);
        let errors = c.check().unwrap_err();
        assert_eq!(
            fields(&errors),
            ["vocational_qualifications", "work_experience"]
        );
        let mut c = full();
        c.work_experience[0].field = "ä".repeat(200);
        assert!(c.check().is_ok());
    }

    #[test]
    fn licence_classes_need_a_licence() {
        for licence in [None, Some(false)] {
            let mut c = full();
            c.driving_licence = licence;
            let errors = c.check().unwrap_err();
            assert_eq!(fields(&errors), ["driving_licence_classes"]);
            assert_eq!(errors[0].kind, crate::field::FieldErrorKind::Rule);
        }
        let mut c = full();
        c.driving_licence = Some(false);
        c.driving_licence_classes.clear();
        assert!(c.check().is_ok());
    }

    #[test]
    fn vocabularies_spell_as_the_api_does() {
        assert_eq!(LanguageLevel::parse("b2"), Ok(LanguageLevel::B2));
        assert_eq!(
            RecognitionStatus::parse("partially_recognised"),
            Ok(RecognitionStatus::PartiallyRecognised)
        );
        assert_eq!(LicenceClass::parse("C1E"), Ok(LicenceClass::C1e));
        assert!(LanguageLevel::parse("B2").is_err());
    }
}
