// Package deploy holds tests of the SAM application; it has no runtime code.
//
// template_test.go reads ../template.yaml (CloudFormation short-form tags
// such as !Ref and !GetAtt are turned into their long forms) and asserts the
// invariants the design depends on: queue visibility versus the apply
// function's timeout, partial batch responses, bounded concurrency, the
// redrive policy, build targets, least-privilege policies, the public
// environment variable names, the webhook route, the state table's TTL, and
// a refusal alarm (401 and 403 within the hour) for every source of
// shared/sources.
// cfnlint_test.go runs Python cfn-lint on the same template.
// architecture_test.go checks the import rules between the module's
// packages (stated in their doc.go files) on the graph `go list -deps`
// reports, the functions' bootstraps included.
//
// selfcontained_test.go walks the repository's text files and fails when
// one of them points the reader at a document that is not in the
// repository (the design notes and reference files it was first written
// from): what a reader needs belongs in the package documentation, docs/
// and the README.
package deploy
