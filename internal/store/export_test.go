package store

// SplitStatementsForTest exposes splitStatements to the external test package.
var SplitStatementsForTest = splitStatements

// CachedStmts reports how many statements c holds prepared.
func CachedStmts(c *Stmts) int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
