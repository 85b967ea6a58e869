module decode

go 1.22
