//go:build amd64 && !purego

#include "textflag.h"

// func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL eaxArg+0(FP), AX
	MOVL ecxArg+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv() (eax, edx uint32)
TEXT ·xgetbv(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET

// func kern4x16seg(nseg, seglen, segstride, lda, ldb, ldc int, a, b, c *float32)
// C[4×16] += A[4×K] · B[K×16] with K = nseg*seglen, where row r of A is read in nseg
// contiguous segments of seglen elements starting at a + r*lda + s*segstride (an implicit
// im2col row of a convolution); B's rows are consecutive with stride ldb.
TEXT ·kern4x16seg(SB), NOSPLIT, $0-72
	MOVQ nseg+0(FP), BX
	MOVQ seglen+8(FP), AX
	MOVQ lda+24(FP), R8
	SHLQ $2, R8
	MOVQ ldb+32(FP), R9
	SHLQ $2, R9
	MOVQ ldc+40(FP), R10
	SHLQ $2, R10
	MOVQ a+48(FP), SI
	MOVQ b+56(FP), DI
	MOVQ c+64(FP), DX

	MOVQ DX, R11
	VMOVUPS (R11), Y0
	VMOVUPS 32(R11), Y1
	ADDQ R10, R11
	VMOVUPS (R11), Y2
	VMOVUPS 32(R11), Y3
	ADDQ R10, R11
	VMOVUPS (R11), Y4
	VMOVUPS 32(R11), Y5
	ADDQ R10, R11
	VMOVUPS (R11), Y6
	VMOVUPS 32(R11), Y7

	LEAQ (SI)(R8*1), R12
	LEAQ (R12)(R8*1), R13
	LEAQ (R13)(R8*1), R14
	MOVQ segstride+16(FP), R11
	SUBQ AX, R11
	SHLQ $2, R11

	TESTQ BX, BX
	JEQ storeseg16
	TESTQ AX, AX
	JEQ storeseg16

segloop16:
	MOVQ AX, CX
innerseg16:
	VMOVUPS (DI), Y8
	VMOVUPS 32(DI), Y9
	VBROADCASTSS (SI), Y10
	VFMADD231PS Y8, Y10, Y0
	VFMADD231PS Y9, Y10, Y1
	VBROADCASTSS (R12), Y11
	VFMADD231PS Y8, Y11, Y2
	VFMADD231PS Y9, Y11, Y3
	VBROADCASTSS (R13), Y12
	VFMADD231PS Y8, Y12, Y4
	VFMADD231PS Y9, Y12, Y5
	VBROADCASTSS (R14), Y13
	VFMADD231PS Y8, Y13, Y6
	VFMADD231PS Y9, Y13, Y7
	ADDQ $4, SI
	ADDQ $4, R12
	ADDQ $4, R13
	ADDQ $4, R14
	ADDQ R9, DI
	DECQ CX
	JNE innerseg16
	ADDQ R11, SI
	ADDQ R11, R12
	ADDQ R11, R13
	ADDQ R11, R14
	DECQ BX
	JNE segloop16

storeseg16:
	MOVQ DX, R11
	VMOVUPS Y0, (R11)
	VMOVUPS Y1, 32(R11)
	ADDQ R10, R11
	VMOVUPS Y2, (R11)
	VMOVUPS Y3, 32(R11)
	ADDQ R10, R11
	VMOVUPS Y4, (R11)
	VMOVUPS Y5, 32(R11)
	ADDQ R10, R11
	VMOVUPS Y6, (R11)
	VMOVUPS Y7, 32(R11)
	VZEROUPPER
	RET

// func kern4x8seg(nseg, seglen, segstride, lda, ldb, ldc int, a, b, c *float32)
// As kern4x16seg for 8 columns.
TEXT ·kern4x8seg(SB), NOSPLIT, $0-72
	MOVQ nseg+0(FP), BX
	MOVQ seglen+8(FP), AX
	MOVQ lda+24(FP), R8
	SHLQ $2, R8
	MOVQ ldb+32(FP), R9
	SHLQ $2, R9
	MOVQ ldc+40(FP), R10
	SHLQ $2, R10
	MOVQ a+48(FP), SI
	MOVQ b+56(FP), DI
	MOVQ c+64(FP), DX

	MOVQ DX, R11
	VMOVUPS (R11), Y0
	ADDQ R10, R11
	VMOVUPS (R11), Y2
	ADDQ R10, R11
	VMOVUPS (R11), Y4
	ADDQ R10, R11
	VMOVUPS (R11), Y6

	LEAQ (SI)(R8*1), R12
	LEAQ (R12)(R8*1), R13
	LEAQ (R13)(R8*1), R14
	MOVQ segstride+16(FP), R11
	SUBQ AX, R11
	SHLQ $2, R11

	TESTQ BX, BX
	JEQ storeseg8
	TESTQ AX, AX
	JEQ storeseg8

segloop8:
	MOVQ AX, CX
innerseg8:
	VMOVUPS (DI), Y8
	VBROADCASTSS (SI), Y10
	VFMADD231PS Y8, Y10, Y0
	VBROADCASTSS (R12), Y11
	VFMADD231PS Y8, Y11, Y2
	VBROADCASTSS (R13), Y12
	VFMADD231PS Y8, Y12, Y4
	VBROADCASTSS (R14), Y13
	VFMADD231PS Y8, Y13, Y6
	ADDQ $4, SI
	ADDQ $4, R12
	ADDQ $4, R13
	ADDQ $4, R14
	ADDQ R9, DI
	DECQ CX
	JNE innerseg8
	ADDQ R11, SI
	ADDQ R11, R12
	ADDQ R11, R13
	ADDQ R11, R14
	DECQ BX
	JNE segloop8

storeseg8:
	MOVQ DX, R11
	VMOVUPS Y0, (R11)
	ADDQ R10, R11
	VMOVUPS Y2, (R11)
	ADDQ R10, R11
	VMOVUPS Y4, (R11)
	ADDQ R10, R11
	VMOVUPS Y6, (R11)
	VZEROUPPER
	RET
