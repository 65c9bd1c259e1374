module github.com/safeharbor/safeharbor/bench

go 1.26.0

replace github.com/safeharbor/safeharbor => ../

require (
	github.com/kardianos/hl7 v1.1.2
	github.com/lenaten/hl7 v0.0.0-20181009090854-63c5c49a56d9
	github.com/safeharbor/safeharbor v0.0.0-00010101000000-000000000000
	gonum.org/v1/plot v0.16.0
)

require (
	codeberg.org/go-fonts/liberation v0.5.0 // indirect
	codeberg.org/go-latex/latex v0.1.0 // indirect
	codeberg.org/go-pdf/fpdf v0.10.0 // indirect
	git.sr.ht/~sbinet/gg v0.6.0 // indirect
	github.com/ajstarks/svgo v0.0.0-20211024235047-1546f124cd8b // indirect
	github.com/campoy/embedmd v1.0.0 // indirect
	github.com/golang/freetype v0.0.0-20170609003504-e2365dfdc4a0 // indirect
	github.com/pmezard/go-difflib v1.0.0 // indirect
	golang.org/x/image v0.25.0 // indirect
	golang.org/x/text v0.42.0 // indirect
)
