//! The JSON request body of every operation. It reads like `web::Json` (same size limit, media
//! type check and problem+json errors), with one difference: a number with a zero fraction
//! (`902.0`) is taken as the integer it equals. JSON Schema, and so the OpenAPI document, counts
//! it as an `integer`; generated clients in languages with one number type send it that way, and
//! serde would refuse it for an `i64` field.

use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use serde_json::{Number, Value};

use crate::http::extract::deserialize_error;

/// A JSON request body of type `T`.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Json<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let value = web::Json::<Value>::from_request(req, payload);
        Box::pin(async move {
            let mut value = value.await?.into_inner();
            integral_numbers_as_integers(&mut value);
            serde_json::from_value::<T>(value)
                .map(Json)
                .map_err(|e| deserialize_error(&e).into())
        })
    }
}

/// Rewrites every float with a zero fraction that fits 64 bits as an integer, in place.
fn integral_numbers_as_integers(value: &mut Value) {
    match value {
        Value::Number(number) => {
            if let Some(float) = number.as_f64().filter(|_| number.is_f64()) {
                // Within ±2^63 an f64 with no fraction converts to i64 exactly.
                if float.fract() == 0.0 && float.abs() < 9.223_372_036_854_775e18 {
                    *number = Number::from(float as i64);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_numbers_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(integral_numbers_as_integers),
        Value::Null | Value::Bool(_) | Value::String(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::integral_numbers_as_integers;

    #[test]
    fn integral_floats_become_integers_everywhere_in_the_body() {
        let mut body = json!({"id": 902.0, "ids": [1.0, -2.0], "nested": {"n": 3.0}, "fte": 0.5});
        integral_numbers_as_integers(&mut body);
        assert_eq!(
            body,
            json!({"id": 902, "ids": [1, -2], "nested": {"n": 3}, "fte": 0.5})
        );
        assert!(body["id"].is_i64());
    }

    #[test]
    fn floats_beyond_64_bits_stay_floats() {
        let mut body = json!({"n": 1e19, "m": -1e300});
        integral_numbers_as_integers(&mut body);
        assert!(body["n"].is_f64() && body["m"].is_f64());
    }
}
