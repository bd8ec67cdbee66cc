//! Named sets of the error responses in [`super::responses`], for the operations that share them, so each
//! `#[utoipa::path]` lists its success and its one set: `responses((status = 200, ...), ReadErrors)`.

macro_rules! error_set {
    ($(#[$doc:meta])* $name:ident: $($code:literal => $response:ident),+ $(,)?) => {
        $(#[$doc])*
        pub struct $name;

        impl utoipa::IntoResponses for $name {
            fn responses() -> std::collections::BTreeMap<
                String,
                utoipa::openapi::RefOr<utoipa::openapi::response::Response>,
            > {
                [$(($code, stringify!($response))),+]
                    .into_iter()
                    .map(|(code, name)| (code.to_string(), utoipa::openapi::Ref::from_response_name(name).into()))
                    .collect()
            }
        }
    };
}

error_set! {
    /// Reading one object.
    ReadErrors: "400" => BadRequest, "401" => Unauthorized, "403" => Forbidden, "404" => NotFound,
        "503" => Unavailable,
}
error_set! {
    /// Reading a result computed by the server, without parameters.
    ComputeErrors: "401" => Unauthorized, "403" => Forbidden, "503" => Unavailable,
}
error_set! {
    /// Listing with filters and paging.
    ListErrors: "400" => BadRequest, "401" => Unauthorized, "403" => Forbidden,
        "422" => Unprocessable, "503" => Unavailable,
}
error_set! {
    /// Listing what every authenticated caller may read.
    OpenListErrors: "400" => BadRequest, "401" => Unauthorized, "422" => Unprocessable,
        "503" => Unavailable,
}
error_set! {
    /// Reading one object every authenticated caller may read.
    OpenReadErrors: "400" => BadRequest, "401" => Unauthorized, "404" => NotFound,
        "503" => Unavailable,
}
error_set! {
    /// Listing what belongs to one object (404 when the object is unknown or hidden).
    NestedListErrors: "400" => BadRequest, "401" => Unauthorized, "403" => Forbidden,
        "404" => NotFound, "422" => Unprocessable, "503" => Unavailable,
}
error_set! {
    /// Creating from a JSON body where nothing can conflict (no unique names, no state).
    SubmitErrors: "400" => BadRequest, "401" => Unauthorized, "403" => Forbidden,
        "413" => PayloadTooLarge, "415" => UnsupportedMediaType, "422" => Unprocessable,
        "503" => Unavailable,
}
error_set! {
    /// Creating an object from a JSON body.
    CreateErrors: "400" => BadRequest, "401" => Unauthorized, "403" => Forbidden, "409" => Conflict,
        "413" => PayloadTooLarge, "415" => UnsupportedMediaType, "422" => Unprocessable,
        "503" => Unavailable,
}
error_set! {
    /// Changing an object with `If-Match` and a JSON body.
    ReplaceErrors: "400" => BadRequest, "401" => Unauthorized, "403" => Forbidden, "404" => NotFound,
        "409" => Conflict, "412" => PreconditionFailed, "413" => PayloadTooLarge,
        "415" => UnsupportedMediaType, "422" => Unprocessable, "428" => PreconditionRequired,
        "503" => Unavailable,
}
error_set! {
    /// Deleting an object with `If-Match`.
    DeleteErrors: "400" => BadRequest, "401" => Unauthorized, "403" => Forbidden, "404" => NotFound,
        "409" => Conflict, "412" => PreconditionFailed, "428" => PreconditionRequired,
        "503" => Unavailable,
}
