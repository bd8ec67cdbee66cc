#![doc = include_str!("../README.md")]

mod app;
pub mod builders;
mod database;
mod problem;

pub use app::{ok_json, success_json, TestApp};
pub use builders::{BuiltCase, CaseBuilder, GapBuilder, OfferBuilder, ReferralBuilder};
pub use database::{test_config, TestDatabase};
pub use problem::{assert_problem, error_fields, expect_problem, PROBLEM_TYPE_BASE};
pub use reqwest::{Method, StatusCode};

pub const JWT_SECRET: &str = "test-secret-0123456789abcdef-0123456789";
pub const PASSWORD: &str = kim_api::seed::DEMO_PASSWORD;
/// Failed logins before a username is locked, in tests.
pub const MAX_FAILURES: u32 = 3;

/// Declares tests written once, run against each backend:
/// `backend_tests!(login_succeeds, wrong_password_is_401);` for `async fn name(app: TestApp)`.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[actix_web::test]
                async fn $name() {
                    let app = $crate::TestApp::spawn(kim_store::Backend::Sqlite).await
                        .expect("SQLite is always available");
                    super::$name(app).await;
                }
            )+
        }
        mod postgres {
            $(
                #[actix_web::test]
                async fn $name() {
                    let Some(app) = $crate::TestApp::spawn(kim_store::Backend::Postgres).await else {
                        eprintln!("skipped: KIM_TEST_POSTGRES_URL is not set");
                        return;
                    };
                    super::$name(app).await;
                }
            )+
        }
    };
}

/// Like [`backend_tests!`], with configuration overrides for every server:
/// `backend_tests_with!(&[("KIM_LOGIN_PER_ADDRESS_PER_MINUTE", "3")]; name, other);`.
/// Put it in its own module when the file also has a `backend_tests!`.
#[macro_export]
macro_rules! backend_tests_with {
    ($overrides:expr; $($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[actix_web::test]
                async fn $name() {
                    let app = $crate::TestApp::spawn_with(kim_store::Backend::Sqlite, $overrides).await
                        .expect("SQLite is always available");
                    super::$name(app).await;
                }
            )+
        }
        mod postgres {
            $(
                #[actix_web::test]
                async fn $name() {
                    let Some(app) = $crate::TestApp::spawn_with(kim_store::Backend::Postgres, $overrides).await else {
                        eprintln!("skipped: KIM_TEST_POSTGRES_URL is not set");
                        return;
                    };
                    super::$name(app).await;
                }
            )+
        }
    };
}
