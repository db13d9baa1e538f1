//go:build amd64 && !purego

#include "textflag.h"

// AVX-512 versions of exp32, sigmoid32f and tanh32 (vmath.go), 16 floats per step: the same
// reduction and polynomial with fused multiply-adds, VRNDSCALEPS for the rounding and
// VSCALEFPS for the scaling by 2^n (one rounding into the subnormal range, +Inf on overflow).
// n must be a positive multiple of 16; x and y may be the same.

DATA vmc<>+0(SB)/4, $0xc2d00000  // expLo -104
DATA vmc<>+4(SB)/4, $0x42b18000  // expHi 88.75
DATA vmc<>+8(SB)/4, $0x3fb8aa3b  // log2 e
DATA vmc<>+12(SB)/4, $0x3f318000 // ln2Hi
DATA vmc<>+16(SB)/4, $0xb95e8083 // ln2Lo
DATA vmc<>+20(SB)/4, $0x39506967 // expP0
DATA vmc<>+24(SB)/4, $0x3ab743ce // expP1
DATA vmc<>+28(SB)/4, $0x3c088908 // expP2
DATA vmc<>+32(SB)/4, $0x3d2aa9c1 // expP3
DATA vmc<>+36(SB)/4, $0x3e2aaaaa // expP4
DATA vmc<>+40(SB)/4, $0x3f000000 // expP5
DATA vmc<>+44(SB)/4, $0x3f800000 // 1
DATA vmc<>+48(SB)/4, $0x7fffffff // |x| mask
DATA vmc<>+52(SB)/4, $0x80000000 // sign bit
DATA vmc<>+56(SB)/4, $0x40000000 // 2
DATA vmc<>+60(SB)/4, $0x41180000 // tanhClamp 9.5
GLOBL vmc<>(SB), RODATA|NOPTR, $64

#define LOADCONSTS \
	VBROADCASTSS vmc<>+0(SB), Z16; \
	VBROADCASTSS vmc<>+4(SB), Z17; \
	VBROADCASTSS vmc<>+8(SB), Z18; \
	VBROADCASTSS vmc<>+12(SB), Z19; \
	VBROADCASTSS vmc<>+16(SB), Z20; \
	VBROADCASTSS vmc<>+20(SB), Z21; \
	VBROADCASTSS vmc<>+24(SB), Z22; \
	VBROADCASTSS vmc<>+28(SB), Z23; \
	VBROADCASTSS vmc<>+32(SB), Z24; \
	VBROADCASTSS vmc<>+36(SB), Z25; \
	VBROADCASTSS vmc<>+40(SB), Z26; \
	VBROADCASTSS vmc<>+44(SB), Z27; \
	VBROADCASTSS vmc<>+48(SB), Z28; \
	VBROADCASTSS vmc<>+52(SB), Z29; \
	VBROADCASTSS vmc<>+56(SB), Z30; \
	VBROADCASTSS vmc<>+60(SB), Z31; \
	VPXORD Z15, Z15, Z15

// EXPQ: Z1 = x in, out Z4 = q = e^r - 1 and Z2 = n (as a float) with e^x = 2^n·(1+q).
// The clamps keep a NaN x (MAXPS/MINPS return their second source when one is NaN).
#define EXPQ \
	VMAXPS Z1, Z16, Z1; \
	VMINPS Z1, Z17, Z1; \
	VMULPS Z18, Z1, Z2; \
	VRNDSCALEPS $0, Z2, Z2; \
	VFNMADD231PS Z19, Z2, Z1; \
	VFNMADD231PS Z20, Z2, Z1; \
	VMULPS Z1, Z1, Z3; \
	VMOVAPS Z21, Z4; \
	VFMADD213PS Z22, Z1, Z4; \
	VFMADD213PS Z23, Z1, Z4; \
	VFMADD213PS Z24, Z1, Z4; \
	VFMADD213PS Z25, Z1, Z4; \
	VFMADD213PS Z26, Z1, Z4; \
	VFMADD213PS Z1, Z3, Z4

// func expAVX512(x, y *float32, n int)
TEXT ·expAVX512(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	LOADCONSTS
exploop:
	VMOVUPS (SI), Z1
	EXPQ
	VADDPS Z27, Z4, Z4
	VSCALEFPS Z2, Z4, Z4
	VMOVUPS Z4, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JNZ exploop
	VZEROUPPER
	RET

// func sigmoidAVX512(x, y *float32, n int)
// e = e^-|x|; y = (x < 0 ? e : 1) / (1 + e).
TEXT ·sigmoidAVX512(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	LOADCONSTS
sigloop:
	VMOVUPS (SI), Z0
	VORPS Z29, Z0, Z1
	EXPQ
	VADDPS Z27, Z4, Z4
	VSCALEFPS Z2, Z4, Z4
	VCMPPS $1, Z15, Z0, K1
	VMOVAPS Z27, Z5
	VMOVAPS Z4, K1, Z5
	VADDPS Z27, Z4, Z6
	VDIVPS Z6, Z5, Z5
	VMOVUPS Z5, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JNZ sigloop
	VZEROUPPER
	RET

// func swishAVX512(x, y *float32, n int)
// y = x · sigmoid(x), the sigmoid as sigmoidAVX512's, then one product (swishF's operations).
TEXT ·swishAVX512(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	LOADCONSTS
swishloop:
	VMOVUPS (SI), Z0
	VORPS Z29, Z0, Z1
	EXPQ
	VADDPS Z27, Z4, Z4
	VSCALEFPS Z2, Z4, Z4
	VCMPPS $1, Z15, Z0, K1
	VMOVAPS Z27, Z5
	VMOVAPS Z4, K1, Z5
	VADDPS Z27, Z4, Z6
	VDIVPS Z6, Z5, Z5
	VMULPS Z0, Z5, Z5
	VMOVUPS Z5, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JNZ swishloop
	VZEROUPPER
	RET

// func tanhAVX512(x, y *float32, n int)
// m = e^(2·min(|x|, 9.5)) - 1 = s·q + (s - 1) with s = 2^n; y = m/(m+2) with x's sign.
TEXT ·tanhAVX512(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	LOADCONSTS
tanhloop:
	VMOVUPS (SI), Z0
	VANDPS Z28, Z0, Z1
	VMINPS Z1, Z31, Z1
	VADDPS Z1, Z1, Z1
	EXPQ
	VSCALEFPS Z2, Z27, Z5
	VSUBPS Z27, Z5, Z6
	VFMADD213PS Z6, Z5, Z4
	VADDPS Z30, Z4, Z6
	VDIVPS Z6, Z4, Z4
	VANDPS Z29, Z0, Z7
	VORPS Z7, Z4, Z4
	VMOVUPS Z4, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JNZ tanhloop
	VZEROUPPER
	RET

DATA vmneginf<>+0(SB)/4, $0xff800000
GLOBL vmneginf<>(SB), RODATA|NOPTR, $4

// HREDUCE(op, z, y, x, ty, tx): lane 0 of x (and every lane of it) = op over the 16 lanes of
// z; ty/tx are scratch.
#define HREDUCE(op, z, y, x, ty, tx) \
	VEXTRACTF64X4 $1, z, ty; \
	op ty, y, y; \
	VEXTRACTF128 $1, y, tx; \
	op tx, x, x; \
	VPERMILPS $0x4e, x, tx; \
	op tx, x, x; \
	VPERMILPS $0xb1, x, tx; \
	op tx, x, x

// func softmaxRowsAVX512(x, y *float32, rows, n int)
// For each of rows rows of n ≥ 16 floats: y = e^(x - max x) / Σ e^(x - max x). The last
// n mod 16 floats of a row go through masked loads and stores (K1).
TEXT ·softmaxRowsAVX512(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ rows+16(FP), R8
	MOVQ n+24(FP), R9
	LOADCONSTS
	VBROADCASTSS vmneginf<>(SB), Z14
	MOVQ R9, CX
	ANDQ $15, CX
	MOVL $1, AX
	SHLL CX, AX
	SUBL $1, AX
	KMOVW AX, K1
	MOVQ R9, R10
	ANDQ $-16, R10   // floats in whole groups
	SHLQ $2, R9      // bytes per row
rowloop:
	// max
	VMOVUPS (SI), Z8
	MOVQ $64, BX
maxloop:
	CMPQ BX, R9
	JGE maxdone
	MOVQ R10, DX
	SHLQ $2, DX
	CMPQ BX, DX
	JGE maxtail
	VMAXPS (SI)(BX*1), Z8, Z8
	ADDQ $64, BX
	JMP maxloop
maxtail:
	VMOVAPS Z14, Z1
	VMOVUPS (SI)(BX*1), K1, Z1
	VMAXPS Z1, Z8, Z8
maxdone:
	HREDUCE(VMAXPS, Z8, Y8, X8, Y9, X9)
	VBROADCASTSS X8, Z13
	// exp and sum
	VPXORD Z12, Z12, Z12
	XORQ BX, BX
	MOVQ R10, DX
	SHLQ $2, DX
exploop2:
	CMPQ BX, DX
	JGE exptail
	VMOVUPS (SI)(BX*1), Z1
	VSUBPS Z13, Z1, Z1
	EXPQ
	VADDPS Z27, Z4, Z4
	VSCALEFPS Z2, Z4, Z4
	VADDPS Z4, Z12, Z12
	VMOVUPS Z4, (DI)(BX*1)
	ADDQ $64, BX
	JMP exploop2
exptail:
	CMPQ BX, R9
	JGE sumdone
	VMOVUPS.Z (SI)(BX*1), K1, Z1
	VSUBPS Z13, Z1, Z1
	EXPQ
	VADDPS Z27, Z4, Z4
	VSCALEFPS Z2, Z4, Z4
	VADDPS Z4, Z12, K1, Z12
	VMOVUPS Z4, K1, (DI)(BX*1)
sumdone:
	HREDUCE(VADDPS, Z12, Y12, X12, Y9, X9)
	VDIVSS X12, X27, X12
	VBROADCASTSS X12, Z12
	// scale
	XORQ BX, BX
scaleloop:
	CMPQ BX, DX
	JGE scaletail
	VMULPS (DI)(BX*1), Z12, Z1
	VMOVUPS Z1, (DI)(BX*1)
	ADDQ $64, BX
	JMP scaleloop
scaletail:
	CMPQ BX, R9
	JGE rowdone
	VMOVUPS.Z (DI)(BX*1), K1, Z1
	VMULPS Z1, Z12, Z1
	VMOVUPS Z1, K1, (DI)(BX*1)
rowdone:
	ADDQ R9, SI
	ADDQ R9, DI
	DECQ R8
	JNZ rowloop
	VZEROUPPER
	RET
