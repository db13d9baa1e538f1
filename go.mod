module github.com/kerasgo/kerasgo

go 1.26

require (
	github.com/golang/snappy v1.0.0
	gonum.org/v1/gonum v0.17.0
	gonum.org/v1/hdf5 v0.0.0-20210714002203-8c5d23bc6946
	google.golang.org/protobuf v1.36.12
)
