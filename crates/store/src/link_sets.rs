//! Link tables: a row for each member of a set that belongs to one owner (an offer's topics, a
//! gap's municipalities, a meeting's attendees). Every such set is written through
//! [`insert_links!`], so each is stored the same way: once per member, sorted, whatever order
//! and repetitions the client sent.

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

pub(crate) use insert_links;
