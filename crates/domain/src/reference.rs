//! Vocabularies of the county's reference data: municipalities and organisations (actors).

crate::vocabulary! {
    /// Legal standing of a municipality: town (Stadt) or municipality (Gemeinde).
    pub enum MunicipalityKind {
        /// Stadt
        Town => "town",
        /// Gemeinde
        Municipality => "municipality",
    }
}

crate::vocabulary! {
    /// Side of the Rhine (linksrheinisch / rechtsrheinisch); the county's planning regions.
    pub enum RhineSide {
        /// linksrheinisch
        Left => "left",
        /// rechtsrheinisch
        Right => "right",
    }
}

crate::vocabulary! {
    /// Kind of organisation (Akteur).
    pub enum OrganisationKind {
        /// Kreisverwaltung, e.g. the KI, social office, youth office of the county
        CountyOffice => "county_office",
        /// Amt einer kreisangehörigen Kommune
        MunicipalOffice => "municipal_office",
        /// Jobcenter (SGB II)
        Jobcenter => "jobcenter",
        /// Agentur für Arbeit (SGB III)
        EmploymentAgency => "employment_agency",
        /// Verband der Freien Wohlfahrtspflege
        WelfareOrganisation => "welfare_organisation",
        /// Migrationsberatung (MBE, JMD, Flüchtlingsberatung)
        MigrationCounselling => "migration_counselling",
        /// Migrantenselbstorganisation
        MigrantSelfOrganisation => "migrant_self_organisation",
        /// Ehrenamtliche Initiative
        VolunteerInitiative => "volunteer_initiative",
        /// Bundesbehörde, e.g. BAMF
        FederalOffice => "federal_office",
        /// Integrationskursträger
        CourseProvider => "course_provider",
        /// Träger von Schule oder Kita
        SchoolOrDaycareProvider => "school_or_daycare_provider",
        /// Sonstige
        Other => "other",
    }
}

impl OrganisationKind {
    /// Part of the county administration (Kreisverwaltung): the KI itself and the county's
    /// offices, which process case data as one controller. Every other organisation — a
    /// municipality's office, the Jobcenter, a welfare organisation, a federal office — is a
    /// partner outside it, to which client data go only with the client's consent.
    pub fn is_county_administration(self) -> bool {
        self == OrganisationKind::CountyOffice
    }
}

crate::vocabulary! {
    /// Legal domain (Rechtskreis) an organisation serves or a case touches.
    pub enum LegalDomain {
        /// Grundsicherung für Arbeitsuchende
        SgbII => "sgb_ii",
        /// Arbeitsförderung
        SgbIII => "sgb_iii",
        /// Kinder- und Jugendhilfe
        SgbVIII => "sgb_viii",
        /// Sozialhilfe
        SgbXII => "sgb_xii",
        /// Aufenthaltsgesetz
        AufenthG => "aufenthg",
        /// Asylbewerberleistungsgesetz
        AsylbLG => "asylblg",
    }
}

/// Removes duplicates and sorts, so that a set sent in any order is stored one way.
pub fn normalise_set<T: Ord + Copy>(values: &[T]) -> Vec<T> {
    let mut out = values.to_vec();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabularies_round_trip() {
        for v in OrganisationKind::ALL {
            assert_eq!(OrganisationKind::parse(v.as_str()), Ok(*v));
        }
        for v in LegalDomain::ALL {
            assert_eq!(v.as_str().parse::<LegalDomain>(), Ok(*v));
        }
        for v in RhineSide::ALL {
            assert_eq!(RhineSide::parse(v.as_str()), Ok(*v));
        }
        for v in MunicipalityKind::ALL {
            assert_eq!(MunicipalityKind::parse(v.as_str()), Ok(*v));
        }
        assert_eq!(OrganisationKind::ALL.len(), 12);
        let county: Vec<_> = OrganisationKind::ALL
            .iter()
            .filter(|k| k.is_county_administration())
            .collect();
        assert_eq!(county, vec![&OrganisationKind::CountyOffice]);
        assert_eq!(LegalDomain::ALL.len(), 6);
    }

    #[test]
    fn sets_are_sorted_and_deduplicated() {
        assert_eq!(
            normalise_set(&[
                LegalDomain::AufenthG,
                LegalDomain::SgbII,
                LegalDomain::AufenthG
            ]),
            vec![LegalDomain::SgbII, LegalDomain::AufenthG]
        );
    }
}
