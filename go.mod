module github.com/stratus-iaas/stratus

go 1.26
