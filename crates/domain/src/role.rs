//! The roles people hold in KIM. A person has exactly one role; what it allows is decided in
//! [`crate::permission`], never by comparing role names elsewhere.

crate::vocabulary! {
    /// Role of a person (Rolle). Decides what the person may do through the permission table.
    pub enum Role {
        /// Administrator: manages accounts, partner tokens and reference data; reads no case data.
        Admin => "admin",
        /// Head of the Kommunales Integrationszentrum (KI-Leitung).
        KiLead => "ki_lead",
        /// Strategic coordinator, module 1 (Koordinierung).
        Coordinator => "coordinator",
        /// Coordinator of case-management staff (CM-Koordination).
        CmCoordinator => "cm_coordinator",
        /// Case manager, module 2 (Case Management / Fallmanagement).
        CaseManager => "case_manager",
        /// Member of the steering group (Lenkungsgruppe).
        SteeringMember => "steering_member",
        /// Member of a project group (Projektgruppe).
        ProjectGroupMember => "project_group_member",
        /// Analyst: aggregated controlling reports only.
        Analyst => "analyst",
        /// Staff of the immigration or naturalisation office, module 3 (Ausländerbehörde).
        ImmigrationOfficer => "immigration_officer",
        /// Data protection officer (Datenschutzbeauftragte/r).
        DataProtectionOfficer => "data_protection_officer",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips_through_its_text() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Ok(*role));
        }
        assert_eq!(Role::ALL.len(), 10);
    }

    #[test]
    fn unknown_role_lists_the_accepted_ones() {
        let err = Role::parse("superuser").unwrap_err();
        assert_eq!(err.value, "superuser");
        assert!(err.expected.contains(&"case_manager"));
        assert_eq!(err.expected.len(), Role::ALL.len());
    }
}

#[cfg(test)]
mod schema_tests {
    use utoipa::PartialSchema;

    use super::Role;

    /// The OpenAPI schema lists exactly the values serde accepts.
    #[test]
    fn openapi_enum_matches_the_wire_values() {
        let schema = serde_json::to_value(Role::schema()).expect("json");
        let listed: Vec<&str> = schema["enum"]
            .as_array()
            .expect("enum")
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        let wire: Vec<String> = Role::ALL
            .iter()
            .map(|r| {
                serde_json::to_value(r)
                    .expect("json")
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect();
        assert_eq!(listed, wire);
        assert!(schema["description"]
            .as_str()
            .is_some_and(|d| d.contains("- `case_manager`:")));
    }
}
