//! Demo local intake rules (Aufnahmekriterien, örtliche Schwerpunkte) of two municipalities:
//! Niederkassel keeps people in the target group five years after arrival (late family
//! reunion), Neunkirchen-Seelscheid does not exclude other case management and takes the
//! thematic case management of multilingual children for ten years. The default rule is not
//! demo data: the first start writes it from `KIM_INTAKE_*`.

use kim_domain::case::TargetGroup;
use kim_domain::eligibility::EligibilityRule;
use kim_domain::intake_rule::RuleScope;
use kim_store::intake_rules::{self as store, RuleData, RuleFilter};
use kim_store::{municipalities, DbConn, StoreError};

/// (municipality, target group, years, exclude other case management, note)
const RULES: &[(&str, Option<TargetGroup>, u32, bool, &str)] = &[
    (
        "Niederkassel",
        None,
        5,
        true,
        "Örtlicher Schwerpunkt Familiennachzug: nachziehende Angehörige bleiben fünf Jahre in der Zielgruppe (Projektgruppe Niederkassel, 2021)",
    ),
    (
        "Neunkirchen-Seelscheid",
        None,
        3,
        false,
        "Kein eigenes Fallmanagement anderer Träger vor Ort: Fälle mit MBE- oder JMD-Beteiligung werden ohne Begründung aufgenommen",
    ),
    (
        "Neunkirchen-Seelscheid",
        Some(TargetGroup::MultilingualChildrenWithLanguageDisorders),
        10,
        false,
        "Thematisches CM mehrsprachige Kinder: Sprachentwicklungsstörungen zeigen sich oft erst Jahre nach der Einreise",
    ),
];

/// Adds the rules of municipalities that have none yet; returns how many were created.
pub fn demo(conn: &mut DbConn) -> Result<usize, StoreError> {
    let mut created = 0;
    let page = kim_domain::paging::PageRequest {
        limit: 10,
        offset: 0,
    };
    let mut seeded_before = Vec::new();
    for (name, group, years, exclude, note) in RULES {
        let Some(municipality) = municipalities::find_by_name(conn, name)? else {
            continue;
        };
        let filter = RuleFilter {
            municipality_id: Some(municipality.id),
        };
        let had_rules = match seeded_before.iter().find(|(id, _)| *id == municipality.id) {
            Some((_, had)) => *had,
            None => {
                let had = store::list(conn, filter, page)?.total > 0;
                seeded_before.push((municipality.id, had));
                had
            }
        };
        if had_rules {
            continue;
        }
        let scope = match group {
            Some(group) => RuleScope::MunicipalityTargetGroup(municipality.id, *group),
            None => RuleScope::Municipality(municipality.id),
        };
        store::insert(
            conn,
            scope,
            &RuleData {
                rule: EligibilityRule {
                    max_years_since_arrival: *years,
                    exclude_other_case_management: *exclude,
                },
                note: Some((*note).into()),
            },
        )?;
        created += 1;
    }
    Ok(created)
}
