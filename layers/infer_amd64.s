//go:build amd64 && !purego

#include "textflag.h"

// func maxWindow8(d, s *float32, groups, c, kw, kh, rowStride int)
// For each of groups 8-float lane groups: d[8g:8g+8] = the maximum over the kh×kw window of
// cells s[ky*rowStride + kx*c + 8g : +8] (AVX). A NaN anywhere in a lane makes it NaN: the
// lanes where a cell was unordered are ORed in as all-ones (a NaN) at the end.
TEXT ·maxWindow8(SB), NOSPLIT, $0-56
	MOVQ d+0(FP), DI
	MOVQ s+8(FP), SI
	MOVQ groups+16(FP), R8
	MOVQ c+24(FP), CX
	SHLQ $2, CX
	MOVQ kw+32(FP), R9
	MOVQ kh+40(FP), R10
	MOVQ rowStride+48(FP), R11
	SHLQ $2, R11
	TESTQ R8, R8
	JEQ done

group:
	VMOVUPS (SI), Y0
	VCMPPS $3, Y0, Y0, Y1
	MOVQ SI, R12
	MOVQ R10, R14

row:
	MOVQ R12, R13
	MOVQ R9, R15

cell:
	VMOVUPS (R13), Y2
	VMAXPS Y2, Y0, Y0
	VCMPPS $3, Y2, Y2, Y3
	VORPS Y3, Y1, Y1
	ADDQ CX, R13
	DECQ R15
	JNE cell
	ADDQ R11, R12
	DECQ R14
	JNE row
	VORPS Y1, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ R8
	JNE group

done:
	VZEROUPPER
	RET

// func reluTo8(d, s *float32, groups int)
// Writes to d every float of groups 8-float groups of s with its sign bit set cleared to +0
// (x &^ (x>>31), bit for bit what reluGo does: negatives and -0 become +0, a NaN with the
// sign clear stays). d may be s (in place).
TEXT ·reluTo8(SB), NOSPLIT, $0-24
	MOVQ d+0(FP), DI
	MOVQ s+8(FP), SI
	MOVQ groups+16(FP), CX
	TESTQ CX, CX
	JEQ rdone

rloop:
	VMOVDQU (SI), Y0
	VPSRAD $31, Y0, Y1
	VPANDN Y0, Y1, Y0
	VMOVDQU Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNE rloop

rdone:
	VZEROUPPER
	RET
