"""Schemathesis extensions of the contract run (loaded through SCHEMATHESIS_HOOKS).

A 422 to a request the document allows is only right when it names a rule the document cannot
state: every entry of the problem's `errors` is of kind `rule` (across fields, over stored state)
or `reference` (an id that names nothing the caller can see). A 422 of kind `schema` means the
server checks something the document does not say: a contract bug.
"""

import schemathesis

BEYOND_THE_SCHEMA = {"rule", "reference"}


@schemathesis.check
def rejection_names_a_rule_beyond_the_schema(ctx, response, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    if response.status_code != 422:
        return None
    # Request-shape probes (an undeclared method, a wrong media type) are not schema-valid data.
    scenario = getattr(getattr(meta.phase, "data", None), "scenario", None)
    if scenario is not None and "content_type" in str(scenario).lower():
        return None
    try:
        errors = response.json().get("errors", [])
    except ValueError:
        raise AssertionError("422 without a problem document naming the invalid fields")
    undocumented = [e for e in errors if e.get("kind") not in BEYOND_THE_SCHEMA]
    if not errors or undocumented:
        raise AssertionError(
            "a request valid by the document was refused for a rule the document does not "
            f"state: {undocumented or 'no field named'}"
        )
    return None
