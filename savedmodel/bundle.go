package savedmodel

// TEMPORARY: a minimal tensor-bundle writer over internal/table until checkpoint/ lands.

import (
	"bufio"
	"encoding/binary"
	"os"
	"sort"

	"github.com/kerasgo/kerasgo/internal/table"
	pb "github.com/kerasgo/kerasgo/internal/tfpb"
	"github.com/kerasgo/kerasgo/tensor"
	"google.golang.org/protobuf/proto"
)

func writeBundle(prefix string, keys []string, vals []*tensor.Tensor) error {
	df, err := os.Create(prefix + ".data-00000-of-00001")
	if err != nil {
		return err
	}
	defer df.Close()
	entries := map[string]*pb.BundleEntryProto{}
	var off int64
	for i, k := range keys {
		t := vals[i]
		var b []byte
		var crc uint32
		if t.DType == tensor.String {
			ss := t.Data.([][]byte)
			for _, s := range ss {
				b = binary.AppendUvarint(b, uint64(len(s)))
			}
			for _, s := range ss {
				crc = table.ExtendCRC(crc, binary.LittleEndian.AppendUint32(nil, uint32(len(s))))
			}
			m := binary.LittleEndian.AppendUint32(nil, table.MaskCRC(crc))
			b = append(b, m...)
			crc = table.ExtendCRC(crc, m)
			for _, s := range ss {
				b = append(b, s...)
				crc = table.ExtendCRC(crc, s)
			}
		} else {
			b, err = t.AppendBytes(nil)
			if err != nil {
				return err
			}
			crc = table.CRC(b)
		}
		if _, err := df.Write(b); err != nil {
			return err
		}
		entries[k] = &pb.BundleEntryProto{Dtype: pb.DataType(t.DType), Shape: shapeProto(t.Shape), Offset: off, Size: int64(len(b)), Crc32C: table.MaskCRC(crc)}
		off += int64(len(b))
	}
	if err := df.Close(); err != nil {
		return err
	}
	f, err := os.Create(prefix + ".index")
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriter(f)
	w := table.NewWriter(bw, nil)
	hdr, _ := proto.Marshal(&pb.BundleHeaderProto{NumShards: 1, Version: &pb.VersionDef{Producer: 1}})
	if err := w.Add(nil, hdr); err != nil {
		return err
	}
	sk := append([]string(nil), keys...)
	sort.Strings(sk)
	for _, k := range sk {
		v, _ := proto.MarshalOptions{Deterministic: true}.Marshal(entries[k])
		if err := w.Add([]byte(k), v); err != nil {
			return err
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return f.Close()
}
