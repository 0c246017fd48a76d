//! `sqlx::migrate!` embeds the migrations when the crate is compiled;
//! without this, a new migration file alone would not rebuild the crate
//! and a binary would open archives without it.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
