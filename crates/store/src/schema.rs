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
    }
}

diesel::table! {
    login_failures (username) {
        username -> Text,
        failures -> Integer,
        locked_until -> Nullable<Timestamp>,
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
    }
}

diesel::joinable!(organisation_legal_domains -> organisations (organisation_id));
diesel::joinable!(organisation_municipalities -> organisations (organisation_id));
diesel::joinable!(organisation_municipalities -> municipalities (municipality_id));
diesel::joinable!(users -> organisations (organisation_id));
diesel::joinable!(partner_tokens -> organisations (organisation_id));

diesel::allow_tables_to_appear_in_same_query!(
    municipalities,
    organisations,
    organisation_legal_domains,
    organisation_municipalities,
    users,
    partner_tokens,
    login_failures,
    audit_events,
);

diesel::define_sql_function! {
    /// SQL `lower`, for case-insensitive search that behaves the same on both databases.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}
