package store

// SplitStatementsForTest exposes splitStatements to the external test package.
var SplitStatementsForTest = splitStatements
