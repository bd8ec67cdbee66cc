//! Link tables: a row for each member of a set that belongs to one owner (an offer's topics, a
//! gap's municipalities, a meeting's attendees). Every such set is written through
//! [`insert_links!`], so each is stored the same way: once per member, sorted, whatever order
//! and repetitions the client sent; and read for a page of owners at once through
//! [`load_links!`], one query per link table.

/// `insert_links!(conn, table, owner_column = owner_id, member_column = members)` inserts a
/// row `(owner_id, member)` for each distinct member of the slice `members`;
/// `… = members => as_str` stores an enum by its name. Returns early with the statement's
/// error, like `?`.
///
/// One row a statement: batch inserts do not compile through diesel's `MultiBackend`, and
/// these sets are small (six legal domains, nineteen municipalities, a meeting's attendees).
macro_rules! insert_links {
    ($conn:expr, $table:ident, $owner:ident = $id:expr, $member:ident = $members:expr $(=> $name:ident)? $(,)?) => {
        for member in kim_domain::reference::normalise_set($members) {
            diesel::insert_into($table::table)
                .values(($table::$owner.eq($id), $table::$member.eq(member$(.$name())?)))
                .execute($conn)?;
        }
    };
}

/// `load_links!(conn, table, owner_column = owner_ids, member_column: Stored)` reads the
/// members of every owner in `owner_ids` in one query: a `HashMap<i64, Vec<Stored>>`, each
/// list in the order of the stored values (owners without members are absent).
/// `… : String => parse` turns each stored value into the domain's type with the fallible
/// `parse(&String)`. Returns early with the error, like `?`.
macro_rules! load_links {
    ($conn:expr, $table:ident, $owner:ident = $owners:expr, $member:ident: $stored:ty $(=> $parse:expr)? $(,)?) => {{
        let mut links = std::collections::HashMap::<i64, Vec<_>>::new();
        for (owner, member) in $table::table
            .filter($table::$owner.eq_any($owners))
            .select(($table::$owner, $table::$member))
            .order(($table::$owner, $table::$member))
            .load::<(i64, $stored)>($conn)?
        {
            $(let member = ($parse)(&member)?;)?
            links.entry(owner).or_default().push(member);
        }
        links
    }};
}

pub(crate) use {insert_links, load_links};
