#![doc = include_str!("../README.md")]

pub mod appender;
pub mod auth;
pub mod case_access;
pub mod case_opening;
pub mod cli;
pub mod config;
pub mod db;
pub mod error;
pub mod http;
pub mod metrics;
pub mod openapi;
pub mod position_access;
pub mod render;
pub mod retention_job;
pub mod routes;
pub mod seed;
pub mod server;
pub mod telemetry;
pub mod views;
pub mod webhook;

pub use config::Config;
pub use error::ApiError;
pub use server::{AppState, RunningServer};
