module freeosmem

go 1.26
