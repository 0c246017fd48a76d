//! Placeholders for statements built at run time. Both backends take
//! `$1, $2, …` (sqlx's SQLite driver reads `$N` as the N-th argument), so
//! every statement is written once.

use std::fmt::Write;

/// `($1, $2, $3), ($4, $5, $6)`: `rows` rows of `columns` parameters.
pub(crate) fn value_rows(rows: usize, columns: usize) -> String {
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
            let _ = write!(out, "${}", r * columns + c + 1);
        }
        out.push(')');
    }
    out
}

/// `$first, $first+1, …`: `n` parameters for an `IN (…)` list.
pub(crate) fn param_list(n: usize, first: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_number_their_parameters_in_order() {
        assert_eq!(value_rows(2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(param_list(3, 2), "$2, $3, $4");
    }
}
