module github.com/kerasgo/kerasgo

go 1.26.8
