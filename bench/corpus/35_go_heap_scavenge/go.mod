module scavenge

go 1.22
