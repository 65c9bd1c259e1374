module github.com/safeharbor/safeharbor/bench

go 1.26.0

replace github.com/safeharbor/safeharbor => ../

require (
	github.com/kardianos/hl7 v1.1.2
	github.com/lenaten/hl7 v0.0.0-20181009090854-63c5c49a56d9
	github.com/safeharbor/safeharbor v0.0.0-00010101000000-000000000000
)
