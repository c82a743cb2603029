// Package intune reads Intune configuration exports (DESIGN §7, issue 4): the
// folders IntuneManagement, IntuneCD and IntuneBackupAndRestore write, plain
// folders of Graph JSON, and zips of any of them. It has no database and no web:
// the inventory sync and the diff engine build on it.
//
//   - ExtractZip expands an uploaded zip without writing outside its folder.
//   - DetectLayout names the tool that wrote an export, in a sentence for the page.
//   - Read walks an export file by file: each file is an Object (typed through
//     the registry: Types, TypeByKey; by @odata.type, else the layout's folder
//     or file name, else the payload's shape: Object.TypeSource), a skip
//     (reports, NativeImport copies, files read with a policy: an intent's
//     _Settings.json, IntuneBackupAndRestore's Assignments/) or a per-file
//     error; one bad file never stops the others.
//   - Decode, Normalize, Canonical and Hash turn a file into the canonical JSON
//     whose SHA-256 is the content hash: a new version only when it changes.
//     CanonicalForm numbers the rules, so stored payloads can follow them.
//
// Identity: ExternalID is the Graph id, absent from IntuneCD backups. Without
// it, (Type.Key, GraphType, DisplayName) tells objects apart; (Type.Key,
// DisplayName) alone does not (IntuneCD's default enrollment configurations all
// share "All users and all devices").
package intune
