//go:build amd64 && !purego

#include "textflag.h"

// func affineRows16(d, scale, shift *float32, rows, groups int)
// For each of rows rows of groups*16 floats at d: d[j] = d[j]*scale[j] + shift[j], the
// product rounded before the sum (as BatchNormalization's unfused inference pass computes).
TEXT ·affineRows16(SB), NOSPLIT, $0-40
	MOVQ d+0(FP), DI
	MOVQ scale+8(FP), SI
	MOVQ shift+16(FP), DX
	MOVQ rows+24(FP), CX
	MOVQ groups+32(FP), BX
	TESTQ CX, CX
	JLE done
	TESTQ BX, BX
	JLE done

row:
	XORQ AX, AX
	MOVQ BX, R8

group:
	VMOVUPS (DI), Z0
	VMULPS (SI)(AX*1), Z0, Z0
	VADDPS (DX)(AX*1), Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, DI
	ADDQ $64, AX
	DECQ R8
	JNZ group
	DECQ CX
	JNZ row

done:
	VZEROUPPER
	RET
