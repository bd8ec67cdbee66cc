// Written by hand to match migrations/{sqlite,postgres}; only portable column types.

diesel::table! {
    municipalities (id) {
        id -> BigInt,
        name -> Text,
        kind -> Text,
        rhine_side -> Text,
        has_immigration_office -> Bool,
        has_youth_office -> Bool,
        has_integration_council -> Bool,
        social_area -> Nullable<Text>,
        population -> Nullable<BigInt>,
        foreign_nationals_percent -> Nullable<Double>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    organisations (id) {
        id -> BigInt,
        name -> Text,
        kind -> Text,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        address -> Nullable<Text>,
        website -> Nullable<Text>,
        active -> Bool,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    organisation_legal_domains (organisation_id, legal_domain) {
        organisation_id -> BigInt,
        legal_domain -> Text,
    }
}

diesel::table! {
    organisation_municipalities (organisation_id, municipality_id) {
        organisation_id -> BigInt,
        municipality_id -> BigInt,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Text,
        display_name -> Text,
        role -> Text,
        organisation_id -> Nullable<BigInt>,
        active -> Bool,
        password_hash -> Text,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        token_version -> Integer,
        must_change_password -> Bool,
    }
}

diesel::table! {
    partner_tokens (id) {
        id -> BigInt,
        name -> Text,
        organisation_id -> BigInt,
        scopes -> Text,
        token_hash -> Text,
        token_prefix -> Text,
        expires_at -> Timestamp,
        created_at -> Timestamp,
        created_by -> Nullable<BigInt>,
        revoked_at -> Nullable<Timestamp>,
        revoked_by -> Nullable<BigInt>,
        awaiting_confirmation -> Bool,
    }
}

diesel::table! {
    access_changes (id) {
        id -> BigInt,
        kind -> Text,
        status -> Text,
        user_id -> Nullable<BigInt>,
        partner_token_id -> Nullable<BigInt>,
        base_version -> Nullable<Integer>,
        display_name -> Nullable<Text>,
        role -> Nullable<Text>,
        organisation_id -> Nullable<BigInt>,
        active -> Nullable<Bool>,
        password_hash -> Nullable<Text>,
        password_reset -> Bool,
        summary -> Text,
        requested_by -> Nullable<BigInt>,
        requested_at -> Timestamp,
        decided_by -> Nullable<BigInt>,
        decided_at -> Nullable<Timestamp>,
        decision_reason -> Nullable<Text>,
    }
}

diesel::table! {
    login_failures (username) {
        username -> Text,
        failures -> Integer,
        locked_until -> Nullable<Timestamp>,
        last_failed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        occurred_at -> Timestamp,
        actor_kind -> Text,
        actor_id -> Nullable<BigInt>,
        actor_role -> Nullable<Text>,
        action -> Text,
        object_type -> Text,
        object_id -> Nullable<Text>,
        request_id -> Nullable<Text>,
        client_id -> Nullable<BigInt>,
        client_request_id -> Nullable<Text>,
        chain_seq -> Nullable<BigInt>,
        entry_hash -> Nullable<Text>,
    }
}

diesel::table! {
    audit_chain_anchors (id) {
        id -> BigInt,
        chain_seq -> BigInt,
        entry_hash -> Text,
        removed -> BigInt,
        cutoff -> Timestamp,
        created_at -> Timestamp,
    }
}

diesel::table! {
    audit_removal_permits (up_to_seq) {
        up_to_seq -> BigInt,
    }
}

diesel::joinable!(organisation_legal_domains -> organisations (organisation_id));
diesel::joinable!(organisation_municipalities -> organisations (organisation_id));
diesel::joinable!(organisation_municipalities -> municipalities (municipality_id));
diesel::joinable!(users -> organisations (organisation_id));
diesel::joinable!(partner_tokens -> organisations (organisation_id));

diesel::define_sql_function! {
    /// SQL `lower`, for case-insensitive search that behaves the same on both databases.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

diesel::table! {
    positions (id) {
        id -> BigInt,
        title -> Text,
        module -> Text,
        function -> Text,
        fte_hundredths -> BigInt,
        funded -> Bool,
        employer_organisation_id -> BigInt,
        placement_organisation_id -> Nullable<BigInt>,
        rhine_side -> Nullable<Text>,
        region -> Nullable<Text>,
        thematic_focus -> Nullable<Text>,
        holder_user_id -> Nullable<BigInt>,
        phase -> Text,
        phase_since -> Date,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    position_municipalities (position_id, municipality_id) {
        position_id -> BigInt,
        municipality_id -> BigInt,
        fte_hundredths -> BigInt,
    }
}

diesel::table! {
    position_events (id) {
        id -> BigInt,
        position_id -> BigInt,
        kind -> Text,
        from_phase -> Nullable<Text>,
        to_phase -> Nullable<Text>,
        effective_on -> Date,
        occurred_at -> Timestamp,
        actor_id -> Nullable<BigInt>,
        comment -> Nullable<Text>,
    }
}

diesel::table! {
    funding_rates (id) {
        id -> BigInt,
        year -> Integer,
        module -> Text,
        item -> Text,
        amount_cents -> BigInt,
        basis -> Text,
        note -> Nullable<Text>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(position_municipalities -> positions (position_id));
diesel::joinable!(position_municipalities -> municipalities (municipality_id));
diesel::joinable!(position_events -> positions (position_id));

// Every table of this file; the agreements and roadmap modules declare their own tables and
// pairings next to their queries.
diesel::allow_tables_to_appear_in_same_query!(
    audit_chain_anchors,
    audit_removal_permits,
    municipalities,
    organisations,
    organisation_legal_domains,
    organisation_municipalities,
    users,
    partner_tokens,
    access_changes,
    login_failures,
    audit_events,
    positions,
    position_municipalities,
    position_events,
    funding_rates,
);

diesel::table! {
    clients (id) {
        id -> BigInt,
        reference -> Text,
        given_name -> Nullable<Text>,
        family_name -> Nullable<Text>,
        birth_year -> Nullable<Integer>,
        gender -> Nullable<Text>,
        languages -> Text,
        country_of_origin -> Nullable<Text>,
        residence_status -> Nullable<Text>,
        municipality_id -> BigInt,
        organisation_id -> Nullable<BigInt>,
        created_by -> Nullable<BigInt>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        erased_at -> Nullable<Timestamp>,
        age_band -> Nullable<Text>,
    }
}

diesel::table! {
    client_links (from_client_id, to_client_id, kind) {
        from_client_id -> BigInt,
        to_client_id -> BigInt,
        kind -> Text,
    }
}

diesel::table! {
    cases (id) {
        id -> BigInt,
        lead_client_id -> BigInt,
        assigned_user_id -> BigInt,
        deputy_user_id -> Nullable<BigInt>,
        municipality_id -> BigInt,
        target_group -> Text,
        intake_channel -> Text,
        referred_by_organisation_id -> Nullable<BigInt>,
        arrived_on -> Nullable<Date>,
        other_case_management -> Text,
        eligible -> Bool,
        eligibility_justification -> Nullable<Text>,
        status -> Text,
        status_since -> Date,
        close_reason -> Nullable<Text>,
        opened_on -> Date,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        anonymised_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    case_clients (case_id, client_id) {
        case_id -> BigInt,
        client_id -> BigInt,
        age_band -> Nullable<Text>,
        gender -> Nullable<Text>,
        country_of_origin -> Nullable<Text>,
        residence_status -> Nullable<Text>,
    }
}

diesel::table! {
    case_legal_domains (case_id, legal_domain) {
        case_id -> BigInt,
        legal_domain -> Text,
    }
}

diesel::table! {
    case_topics (case_id, topic) {
        case_id -> BigInt,
        topic -> Text,
    }
}

diesel::table! {
    case_events (id) {
        id -> BigInt,
        case_id -> BigInt,
        kind -> Text,
        from_status -> Nullable<Text>,
        to_status -> Nullable<Text>,
        close_reason -> Nullable<Text>,
        reason -> Nullable<Text>,
        occurred_on -> Date,
        occurred_at -> Timestamp,
        actor_id -> Nullable<BigInt>,
    }
}

diesel::joinable!(case_clients -> cases (case_id));
diesel::joinable!(case_clients -> clients (client_id));
diesel::joinable!(case_events -> cases (case_id));

diesel::allow_tables_to_appear_in_same_query!(
    clients,
    client_links,
    cases,
    case_clients,
    case_legal_domains,
    case_topics,
    case_events,
);

diesel::table! {
    erasures (id) {
        id -> BigInt,
        client_id -> BigInt,
        reason -> Text,
        erased_by -> Nullable<BigInt>,
        erased_at -> Timestamp,
    }
}

diesel::table! {
    legal_holds (id) {
        id -> BigInt,
        case_id -> BigInt,
        reason -> Text,
        placed_by -> Nullable<BigInt>,
        placed_at -> Timestamp,
        lifted_by -> Nullable<BigInt>,
        lifted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    retention_rules (record_type) {
        record_type -> Text,
        period_amount -> Integer,
        period_unit -> Text,
        action -> Text,
        version -> Integer,
        updated_by -> Nullable<BigInt>,
        updated_at -> Timestamp,
    }
}

// The audit views show the client's current reference through a join.
diesel::allow_tables_to_appear_in_same_query!(audit_events, clients);
