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
