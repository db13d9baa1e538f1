//go:build amd64 && !purego

#include "textflag.h"

// func convDW9x16(x, dz, acc *float32, npos, xstep, dzstep int, offs *[9]int)
//
// For p in [0, npos): acc[t][0:16] += x[p*xstep + offs[t]] * dz[p*dzstep : +16], t < 9
// (xstep, dzstep and offs in bytes). acc is 9 rows of 16 floats, loaded and stored.
TEXT ·convDW9x16(SB), NOSPLIT, $0-56
	MOVQ acc+16(FP), AX
	VMOVUPS 0(AX), Z0
	VMOVUPS 64(AX), Z1
	VMOVUPS 128(AX), Z2
	VMOVUPS 192(AX), Z3
	VMOVUPS 256(AX), Z4
	VMOVUPS 320(AX), Z5
	VMOVUPS 384(AX), Z6
	VMOVUPS 448(AX), Z7
	VMOVUPS 512(AX), Z8
	MOVQ offs+48(FP), AX
	MOVQ 0(AX), DI
	MOVQ 8(AX), R8
	MOVQ 16(AX), R9
	MOVQ 24(AX), R10
	MOVQ 32(AX), R11
	MOVQ 40(AX), R12
	MOVQ 48(AX), R13
	MOVQ 56(AX), R14
	MOVQ 64(AX), R15
	MOVQ x+0(FP), SI
	MOVQ dz+8(FP), DX
	MOVQ npos+24(FP), CX
	MOVQ xstep+32(FP), AX
	MOVQ dzstep+40(FP), BX
	TESTQ CX, CX
	JEQ convDW9x16_store
convDW9x16_loop:
	VMOVUPS 0(DX), Z9
	VFMADD231PS.BCST (SI)(DI*1), Z9, Z0
	VFMADD231PS.BCST (SI)(R8*1), Z9, Z1
	VFMADD231PS.BCST (SI)(R9*1), Z9, Z2
	VFMADD231PS.BCST (SI)(R10*1), Z9, Z3
	VFMADD231PS.BCST (SI)(R11*1), Z9, Z4
	VFMADD231PS.BCST (SI)(R12*1), Z9, Z5
	VFMADD231PS.BCST (SI)(R13*1), Z9, Z6
	VFMADD231PS.BCST (SI)(R14*1), Z9, Z7
	VFMADD231PS.BCST (SI)(R15*1), Z9, Z8
	ADDQ AX, SI
	ADDQ BX, DX
	DECQ CX
	JNE convDW9x16_loop
convDW9x16_store:
	MOVQ acc+16(FP), AX
	VMOVUPS Z0, 0(AX)
	VMOVUPS Z1, 64(AX)
	VMOVUPS Z2, 128(AX)
	VMOVUPS Z3, 192(AX)
	VMOVUPS Z4, 256(AX)
	VMOVUPS Z5, 320(AX)
	VMOVUPS Z6, 384(AX)
	VMOVUPS Z7, 448(AX)
	VMOVUPS Z8, 512(AX)
	VZEROUPPER
	RET

// func sumRows16(acc, d *float32, rows, stride int)
//
// acc[0:16] += the 16 floats at d + r*stride (bytes) for r in [0, rows), row after row.
TEXT ·sumRows16(SB), NOSPLIT, $0-32
	MOVQ acc+0(FP), AX
	MOVQ d+8(FP), SI
	MOVQ rows+16(FP), CX
	MOVQ stride+24(FP), DX
	VMOVUPS 0(AX), Z0
	TESTQ CX, CX
	JEQ sumRows16_store
sumRows16_loop:
	VADDPS 0(SI), Z0, Z0
	ADDQ DX, SI
	DECQ CX
	JNE sumRows16_loop
sumRows16_store:
	VMOVUPS Z0, 0(AX)
	VZEROUPPER
	RET

// func winArg16(s, m *float32, idx *[16]int32, kh, kw, c, wc int)
//
// For 16 lanes (channels): idx[lane] = the offset in floats from s of the first cell, in
// scan order over kh rows (wc floats apart) of kw cells (c floats apart), whose value equals
// m[lane] (a NaN m matches the first NaN), or 0 when none does.
TEXT ·winArg16(SB), NOSPLIT, $0-56
	MOVQ s+0(FP), SI
	MOVQ m+8(FP), AX
	VMOVUPS 0(AX), Z0
	VCMPPS $3, Z0, Z0, K3
	KXNORW K1, K1, K1
	VPXORD Z1, Z1, Z1
	MOVQ kh+24(FP), BX
	MOVQ kw+32(FP), CX
	MOVQ c+40(FP), R12
	MOVQ wc+48(FP), R13
	MOVQ R12, R8
	SHLQ $2, R8
	MOVQ R13, R9
	SHLQ $2, R9
	XORQ DX, DX
	TESTQ BX, BX
	JEQ winArg16_store
	TESTQ CX, CX
	JEQ winArg16_store
winArg16_row:
	MOVQ SI, DI
	MOVQ DX, R10
	MOVQ CX, R11
winArg16_cell:
	VMOVUPS 0(DI), Z2
	VCMPPS $0, Z0, Z2, K1, K2
	VCMPPS $3, Z2, Z2, K3, K4
	KANDW K1, K4, K4
	KORW K4, K2, K2
	VPBROADCASTD R10, Z3
	VMOVDQA32 Z3, K2, Z1
	KANDNW K1, K2, K1
	ADDQ R8, DI
	ADDQ R12, R10
	DECQ R11
	JNE winArg16_cell
	ADDQ R9, SI
	ADDQ R13, DX
	DECQ BX
	JNE winArg16_row
winArg16_store:
	MOVQ idx+16(FP), AX
	VMOVDQU32 Z1, 0(AX)
	VZEROUPPER
	RET
