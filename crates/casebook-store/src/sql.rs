//! Placeholders for statements built at run time. Fixed statements are
//! written once with `$1, $2, …`, which both backends take (sqlx's SQLite
//! driver reads `$N` as the N-th argument). Statements with hundreds of
//! parameters use plain `?` on SQLite: looking a named parameter up costs
//! SQLite time linear in the statement's parameters, so `$N` there makes a
//! 2,000-parameter insert quadratic.

use crate::location::Backend;
use std::fmt::Write;

/// Appends the `n`-th parameter (from 1), without a string of its own:
/// an insert statement has thousands.
fn push_placeholder(out: &mut String, backend: Backend, n: usize) {
    match backend {
        Backend::Sqlite => out.push('?'),
        Backend::Postgres => {
            let _ = write!(out, "${n}");
        }
    }
}

/// `($1, $2, $3), ($4, $5, $6)`: `rows` rows of `columns` parameters.
pub(crate) fn value_rows(backend: Backend, rows: usize, columns: usize) -> String {
    let mut out = String::with_capacity(rows * columns * 5);
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for c in 0..columns {
            if c > 0 {
                out.push_str(", ");
            }
            push_placeholder(&mut out, backend, r * columns + c + 1);
        }
        out.push(')');
    }
    out
}

/// `$first, $first+1, …`: `n` parameters for an `IN (…)` list.
pub(crate) fn param_list(backend: Backend, n: usize, first: usize) -> String {
    let mut out = String::with_capacity(n * 4);
    for i in first..first + n {
        if i > first {
            out.push_str(", ");
        }
        push_placeholder(&mut out, backend, i);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_number_their_parameters_in_order() {
        assert_eq!(
            value_rows(Backend::Postgres, 2, 3),
            "($1, $2, $3), ($4, $5, $6)"
        );
        assert_eq!(value_rows(Backend::Sqlite, 2, 2), "(?, ?), (?, ?)");
        assert_eq!(param_list(Backend::Postgres, 3, 2), "$2, $3, $4");
    }
}
