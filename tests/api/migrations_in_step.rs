//! The two dialects' migrations build the same database (issue 16 item 5): after migrating a
//! fresh SQLite and a fresh PostgreSQL database, every table has the same columns with the same
//! portable type and nullability, the same named indexes (unique or not, partial or not, over
//! the same columns) and the same unique constraints; and every `diesel::table!` of the store
//! crate matches both. A column added to one dialect's migration only fails here.

use std::collections::{BTreeMap, BTreeSet};

use diesel::prelude::*;
use diesel::sql_types::{Bool, Integer, Text};
use kim_store::{migrations, Backend, DbConn};
use kim_tests::TestDatabase;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Column {
    kind: String,
    nullable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Index {
    unique: bool,
    partial: bool,
    columns: Vec<String>,
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Table {
    columns: BTreeMap<String, Column>,
    /// Indexes created by name (`CREATE INDEX`), by name.
    indexes: BTreeMap<String, Index>,
    /// Unique constraints declared in `CREATE TABLE` (named differently by each dialect), by
    /// their columns.
    unique_constraints: BTreeSet<Vec<String>>,
}

type Schema = BTreeMap<String, Table>;

/// A type as both dialects (and diesel) can agree on it.
fn portable(declared: &str) -> String {
    let t = declared.to_ascii_lowercase();
    let kind = if t.contains("int") {
        "integer"
    } else if t.contains("char") || t == "text" {
        "text"
    } else if t.starts_with("bool") {
        "boolean"
    } else if t.starts_with("timestamp") {
        "timestamp"
    } else if t == "date" {
        "date"
    } else if t.contains("double") || t == "real" || t.starts_with("float") {
        "float"
    } else if t.starts_with("numeric") || t.starts_with("decimal") {
        "numeric"
    } else {
        return format!("unknown:{t}");
    };
    kind.to_owned()
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct SqliteColumn {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    declared: String,
    #[diesel(sql_type = Integer)]
    not_null: i32,
    #[diesel(sql_type = Integer)]
    pk: i32,
}

#[derive(QueryableByName)]
struct SqliteIndex {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Integer)]
    uniq: i32,
    #[diesel(sql_type = Integer)]
    partial: i32,
    #[diesel(sql_type = Text)]
    origin: String,
}

#[derive(QueryableByName)]
struct PgColumn {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    declared: String,
    #[diesel(sql_type = Bool)]
    nullable: bool,
}

#[derive(QueryableByName)]
struct PgIndex {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Bool)]
    uniq: bool,
    #[diesel(sql_type = Bool)]
    partial: bool,
    #[diesel(sql_type = Bool)]
    constraint: bool,
    #[diesel(sql_type = Text)]
    columns: String,
}

fn quoted(name: &str) -> String {
    format!("'{}'", name.replace('\'', "''"))
}

fn sqlite_schema(conn: &mut diesel::SqliteConnection) -> Schema {
    let tables: Vec<Name> = diesel::sql_query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name <> '__diesel_schema_migrations'",
    )
    .load(conn)
    .expect("tables");
    let mut schema = Schema::new();
    for Name { name: table } in tables {
        let mut t = Table::default();
        let columns: Vec<SqliteColumn> = diesel::sql_query(format!(
            "SELECT name, type AS declared, \"notnull\" AS not_null, pk FROM pragma_table_info({})",
            quoted(&table)
        ))
        .load(conn)
        .expect("columns");
        for c in columns {
            // An INTEGER PRIMARY KEY is the rowid: never null, though not declared so.
            let nullable = c.not_null == 0 && c.pk == 0;
            t.columns.insert(
                c.name,
                Column {
                    kind: portable(&c.declared),
                    nullable,
                },
            );
        }
        let indexes: Vec<SqliteIndex> = diesel::sql_query(format!(
            "SELECT name, \"unique\" AS uniq, partial, origin FROM pragma_index_list({})",
            quoted(&table)
        ))
        .load(conn)
        .expect("indexes");
        for i in indexes {
            let columns: Vec<Name> = diesel::sql_query(format!(
                "SELECT name FROM pragma_index_info({}) ORDER BY seqno",
                quoted(&i.name)
            ))
            .load(conn)
            .expect("index columns");
            let columns: Vec<String> = columns.into_iter().map(|n| n.name).collect();
            match i.origin.as_str() {
                "pk" => {}
                "u" => {
                    t.unique_constraints.insert(columns);
                }
                _ => {
                    t.indexes.insert(
                        i.name,
                        Index {
                            unique: i.uniq != 0,
                            partial: i.partial != 0,
                            columns,
                        },
                    );
                }
            }
        }
        schema.insert(table, t);
    }
    schema
}

fn pg_schema(conn: &mut diesel::PgConnection) -> Schema {
    let tables: Vec<Name> = diesel::sql_query(
        "SELECT table_name::text AS name FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE' \
         AND table_name <> '__diesel_schema_migrations'",
    )
    .load(conn)
    .expect("tables");
    let mut schema = Schema::new();
    for Name { name: table } in tables {
        let mut t = Table::default();
        let columns: Vec<PgColumn> = diesel::sql_query(format!(
            "SELECT column_name::text AS name, data_type::text AS declared, \
             is_nullable = 'YES' AS nullable FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name = {}",
            quoted(&table)
        ))
        .load(conn)
        .expect("columns");
        for c in columns {
            t.columns.insert(
                c.name,
                Column {
                    kind: portable(&c.declared),
                    nullable: c.nullable,
                },
            );
        }
        let indexes: Vec<PgIndex> = diesel::sql_query(format!(
            "SELECT i.relname::text AS name, ix.indisunique AS uniq, ix.indpred IS NOT NULL AS partial, \
             EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = ix.indexrelid \
                     AND con.contype = 'u') AS \"constraint\", \
             array_to_string(ARRAY(SELECT a.attname::text FROM unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord) \
                 JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum \
                 ORDER BY k.ord), ',') AS columns \
             FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid \
             JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace \
             WHERE n.nspname = 'public' AND t.relname = {} AND NOT ix.indisprimary",
            quoted(&table)
        ))
        .load(conn)
        .expect("indexes");
        for i in indexes {
            let columns: Vec<String> = i.columns.split(',').map(str::to_owned).collect();
            if i.constraint {
                t.unique_constraints.insert(columns);
            } else {
                t.indexes.insert(
                    i.name,
                    Index {
                        unique: i.uniq,
                        partial: i.partial,
                        columns,
                    },
                );
            }
        }
        schema.insert(table, t);
    }
    schema
}

fn migrated(backend: Backend) -> Option<(TestDatabase, Schema)> {
    let (database, url) = TestDatabase::create(backend)?;
    let url = kim_store::DatabaseUrl::parse(&url).expect("url");
    let pool = kim_store::connection::connect_pool(&url, Default::default()).expect("pool");
    let mut conn = pool.get().expect("conn");
    migrations::run_pending(&mut conn).expect("migrate");
    let schema = match &mut *conn {
        DbConn::Sqlite(c) => sqlite_schema(c),
        DbConn::Postgres(c) => pg_schema(c),
    };
    drop(conn);
    Some((database, schema))
}

/// The differences between two schemas, one line each (empty when they agree).
fn differences(left: (&str, &Schema), right: (&str, &Schema)) -> Vec<String> {
    let ((ln, l), (rn, r)) = (left, right);
    let mut out = Vec::new();
    let tables: BTreeSet<&String> = l.keys().chain(r.keys()).collect();
    for table in tables {
        let (Some(lt), Some(rt)) = (l.get(table), r.get(table)) else {
            let only = if l.contains_key(table) { ln } else { rn };
            out.push(format!("table {table} only in {only}"));
            continue;
        };
        let columns: BTreeSet<&String> = lt.columns.keys().chain(rt.columns.keys()).collect();
        for column in columns {
            match (lt.columns.get(column), rt.columns.get(column)) {
                (Some(a), Some(b)) if a == b => {}
                (Some(a), Some(b)) => out.push(format!("{table}.{column}: {ln} {a:?}, {rn} {b:?}")),
                (Some(_), None) => out.push(format!("{table}.{column} only in {ln}")),
                (None, _) => out.push(format!("{table}.{column} only in {rn}")),
            }
        }
        let indexes: BTreeSet<&String> = lt.indexes.keys().chain(rt.indexes.keys()).collect();
        for index in indexes {
            match (lt.indexes.get(index), rt.indexes.get(index)) {
                (Some(a), Some(b)) if a == b => {}
                (Some(a), Some(b)) => {
                    out.push(format!("index {index} on {table}: {ln} {a:?}, {rn} {b:?}"))
                }
                (Some(_), None) => out.push(format!("index {index} on {table} only in {ln}")),
                (None, _) => out.push(format!("index {index} on {table} only in {rn}")),
            }
        }
        if lt.unique_constraints != rt.unique_constraints {
            out.push(format!(
                "unique constraints of {table}: {ln} {:?}, {rn} {:?}",
                lt.unique_constraints, rt.unique_constraints
            ));
        }
    }
    out
}

/// Every `diesel::table!` in crates/store/src: table → column → (portable kind, nullable).
fn declared_tables() -> BTreeMap<String, BTreeMap<String, Column>> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../crates/store/src");
    let mut files = Vec::new();
    let mut dirs = vec![std::path::PathBuf::from(root)];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).expect("store sources") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let mut tables = BTreeMap::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read");
        let mut rest = text.as_str();
        while let Some(start) = rest.find("table! {") {
            rest = &rest[start + "table! {".len()..];
            let mut lines = rest.lines().map(str::trim).filter(|l| !l.is_empty());
            let head = lines.next().expect("table head");
            let name = head.split([' ', '(']).next().expect("name").to_owned();
            let mut columns = BTreeMap::new();
            for line in lines {
                if line.starts_with('}') {
                    break;
                }
                let Some((column, declared)) = line.trim_end_matches(',').split_once("->") else {
                    continue;
                };
                let declared = declared.trim();
                let (nullable, inner) = match declared.strip_prefix("Nullable<") {
                    Some(inner) => (true, inner.trim_end_matches('>')),
                    None => (false, declared),
                };
                let kind = match inner {
                    "BigInt" | "Integer" | "SmallInt" => "integer",
                    "Text" => "text",
                    "Bool" => "boolean",
                    "Timestamp" => "timestamp",
                    "Date" => "date",
                    "Double" | "Float" => "float",
                    "Numeric" => "numeric",
                    other => panic!("{}: unknown diesel type {other}", file.display()),
                };
                columns.insert(
                    column.trim().to_owned(),
                    Column {
                        kind: kind.to_owned(),
                        nullable,
                    },
                );
            }
            tables.insert(name, columns);
        }
    }
    tables
}

#[test]
fn both_dialects_build_the_same_database_and_the_store_declares_it() {
    let (_sqlite_db, sqlite) = migrated(Backend::Sqlite).expect("SQLite is always available");
    assert!(sqlite.len() > 40, "found {} tables", sqlite.len());
    let mut problems = Vec::new();
    if let Some((_pg_db, pg)) = migrated(Backend::Postgres) {
        problems.extend(differences(("sqlite", &sqlite), ("postgres", &pg)));
    }
    // Every table the store declares exists with each declared column, of the same kind and
    // nullability (a table may hold columns the store does not read).
    let declared = declared_tables();
    assert!(
        declared.len() > 40,
        "found {} table! blocks",
        declared.len()
    );
    for (table, columns) in &declared {
        let Some(actual) = sqlite.get(table) else {
            problems.push(format!("diesel table {table} is in no migration"));
            continue;
        };
        for (column, expected) in columns {
            match actual.columns.get(column) {
                Some(found) if found == expected => {}
                Some(found) => problems.push(format!(
                    "{table}.{column}: diesel {expected:?}, migrations {found:?}"
                )),
                None => problems.push(format!("diesel column {table}.{column} is in no migration")),
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} differences:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn a_column_in_one_dialect_only_is_found() {
    let mut left = Schema::new();
    let mut table = Table::default();
    table.columns.insert(
        "id".into(),
        Column {
            kind: "integer".into(),
            nullable: false,
        },
    );
    let mut right_table = Table {
        columns: table.columns.clone(),
        ..Table::default()
    };
    right_table.columns.insert(
        "extra".into(),
        Column {
            kind: "text".into(),
            nullable: true,
        },
    );
    left.insert("t".into(), table);
    let mut right = Schema::new();
    right.insert("t".into(), right_table);
    assert_eq!(
        differences(("sqlite", &left), ("postgres", &right)),
        ["t.extra only in postgres"]
    );
    assert_eq!(portable("BIGINT"), portable("integer"));
    assert_eq!(portable("timestamp without time zone"), "timestamp");
    assert_eq!(portable("character varying"), "text");
}
