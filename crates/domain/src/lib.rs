#![doc = include_str!("../README.md")]

pub mod access;
pub mod access_change;
pub mod activity;
pub mod agreement;
pub mod audit;
pub mod body;
pub mod case;
pub mod clearing;
pub mod client;
pub mod conference;
pub mod consent;
pub mod coverage;
pub mod distribution;
pub mod eligibility;
pub mod erasure;
pub mod event;
pub mod field;
pub mod funding;
pub mod gap;
pub mod gap_contribution;
pub mod help_plan;
pub mod idempotency;
pub mod intake_request;
pub mod intake_rule;
pub mod login_throttle;
pub mod offer;
pub mod office_outcome;
pub mod paging;
pub mod permission;
pub mod programme_document;
pub mod qualification;
#[cfg(test)]
mod record_of_processing;
pub mod reference;
pub mod referral;
pub mod report;
pub mod residence_request;
pub mod retention;
pub mod roadmap;
pub mod role;
pub mod scope;
pub mod social_area;
pub mod staffing;
pub mod survey;
pub mod survey_results;
pub mod text;
pub mod transition;
pub mod webhook;

pub use permission::{Action, Principal};
pub use role::Role;
pub use scope::Scope;

/// A value from a closed vocabulary could not be parsed; carries the accepted values so the
/// API can tell the client what it may send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown value '{value}', expected one of: {}", expected.join(", "))]
pub struct UnknownValue {
    pub value: String,
    pub expected: Vec<&'static str>,
}

/// Declares a closed vocabulary: a `snake_case` enum with `as_str`, `parse`, `ALL`, serde and an
/// OpenAPI schema that agree with each other, so the database, the API and the documentation
/// use one spelling. The OpenAPI schema is written by hand because utoipa's derive does not see
/// serde renames made inside a macro; its description lists every value with its doc comment.
#[macro_export]
macro_rules! vocabulary {
    (
        $(#[doc = $doc:literal])*
        pub enum $name:ident { $( $(#[doc = $vdoc:literal])* $variant:ident => $text:literal ),+ $(,)? }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
                 serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $( $(#[doc = $vdoc])* #[serde(rename = $text)] $variant ),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable text form used in JSON, query strings and the database.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the text form; the error lists the accepted values.
            pub fn parse(value: &str) -> Result<Self, $crate::UnknownValue> {
                match value {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::UnknownValue {
                        value: value.to_owned(),
                        expected: vec![$($text),+],
                    }),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> { Self::parse(s) }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($text),+]))
                    .description(Some(concat!(
                        $($doc, "\n",)* "\n",
                        $("- `", $text, "`:", $($vdoc,)* "\n",)+
                    ).trim()))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}
