//! The migrations folder, with a `.gitkeep` so a fresh clone has it (the build reads it).

use std::path::Path;

use super::{shown, Change, Plan};

/// Plans the folder `folder` of the package at `root`.
pub(super) fn plan(plan: &mut Plan, root: &Path, folder: &Path) {
    if !folder.exists() {
        plan.changes.push(Change::CreateDir(folder.to_path_buf()));
        plan.changes.push(Change::Create {
            path: folder.join(".gitkeep"),
            content: String::new(),
        });
    } else if !folder.is_dir() {
        plan.conflicts.push(format!(
            "{} exists and is not a folder",
            shown(root, folder)
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_folder_is_created_and_a_file_in_its_place_refused() {
        let root = tempfile::tempdir().unwrap();
        let mut p = Plan::default();
        plan(&mut p, root.path(), &root.path().join("migrations"));
        assert_eq!(p.changes.len(), 2);
        assert!(p.conflicts.is_empty());

        std::fs::write(root.path().join("migrations"), "").unwrap();
        let mut p = Plan::default();
        plan(&mut p, root.path(), &root.path().join("migrations"));
        assert!(p.changes.is_empty());
        assert_eq!(p.conflicts, ["migrations exists and is not a folder"]);
    }
}
