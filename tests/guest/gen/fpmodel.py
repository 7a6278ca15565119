"""Exact IEEE 754 binary32/binary64 reference for gen/fp.py: values are
decoded to fractions, computed exactly and rounded once with the RISC-V
rules (all five rounding modes, tininess after rounding, canonical NaN,
invalid for signaling NaNs, saturating float-to-int conversions)."""
from fractions import Fraction as F
import decimal, struct, math, sys
NX,UF,OF,DZ,NV=1,2,4,8,16
FMT={'s':(8,23),'d':(11,52)}
def parts(fmt):
    e,m=FMT[fmt]; bias=(1<<(e-1))-1; return e,m,bias
def qnan(fmt):
    e,m,_=parts(fmt); return ((1<<e)-1)<<m | 1<<(m-1)
def inf(fmt,neg=False):
    e,m,_=parts(fmt); return (neg<<(e+m)) | ((1<<e)-1)<<m
def signbit(fmt): e,m,_=parts(fmt); return 1<<(e+m)
def decode(fmt,b):
    """-> ('nan',sig) | ('inf',neg) | ('num', Fraction) with zero sign as ('zero',neg)"""
    e,m,bias=parts(fmt)
    neg=b>>(e+m)&1; ex=b>>m&((1<<e)-1); man=b&((1<<m)-1)
    if ex==(1<<e)-1:
        if man: return ('snan' if not man>>(m-1) else 'qnan',neg)
        return ('inf',neg)
    if ex==0:
        if man==0: return ('zero',neg)
        v=F(man,1<<m)*F(2)**(1-bias)
    else: v=(1+F(man,1<<m))*F(2)**(ex-bias)
    return ('num', -v if neg else v)
def rnd_int(n,rm,neg):
    fl=n.numerator//n.denominator; frac=n-fl
    if frac==0: return fl
    if rm=='rtz': return fl
    if rm=='rdn': return fl+1 if neg else fl
    if rm=='rup': return fl if neg else fl+1
    if frac>F(1,2): return fl+1
    if frac<F(1,2): return fl
    if rm=='rmm': return fl+1
    return fl if fl%2==0 else fl+1
def flog2(a):
    E=a.numerator.bit_length()-a.denominator.bit_length()
    while F(2)**E>a: E-=1
    while F(2)**(E+1)<=a: E+=1
    return E
def encode(fmt,x,rm,zero_neg=False):
    """round Fraction x -> (bits, flags)"""
    e,m,bias=parts(fmt); emin=1-bias; emax=bias
    if x==0: return (signbit(fmt) if zero_neg else 0),0
    neg=x<0; a=-x if neg else x
    E0=flog2(a)
    # tininess after rounding (unbounded exponent)
    n0=rnd_int(a/F(2)**(E0-m),rm,neg); v0=n0*F(2)**(E0-m)
    tiny = v0 < F(2)**emin
    E=max(E0,emin)
    n=rnd_int(a/F(2)**(E-m),rm,neg)
    inexact = n*F(2)**(E-m)!=a
    if n==1<<(m+1): n//=2; E+=1
    flags=(NX if inexact else 0)|(UF if tiny and inexact else 0)
    sb=signbit(fmt) if neg else 0
    if E>emax:
        flags=OF|NX
        toinf = rm in ('rne','rmm') or (rm=='rup' and not neg) or (rm=='rdn' and neg)
        if toinf: return sb|inf(fmt),flags
        return sb|((((1<<e)-2)<<m)|((1<<m)-1)),flags
    if n<(1<<m): return sb|n,flags   # subnormal (E==emin)
    return sb|((E+bias)<<m)|(n-(1<<m)),flags
def isnan(d): return d[0] in ('snan','qnan')
def val(d):
    if d[0]=='zero': return F(0)
    return d[1]
def nanres(fmt,*ds):
    fl=NV if any(d[0]=='snan' for d in ds) else 0
    return qnan(fmt),fl
def add(fmt,a,b,rm='rne',sub=False):
    A,B=decode(fmt,a),decode(fmt,b)
    if sub: B=(B[0],(not B[1]) if B[0] in('inf','zero','snan','qnan') else -B[1])
    if isnan(A) or isnan(B): return nanres(fmt,A,B)
    if A[0]=='inf' and B[0]=='inf':
        if A[1]!=B[1]: return qnan(fmt),NV
        return inf(fmt,A[1]),0
    if A[0]=='inf': return inf(fmt,A[1]),0
    if B[0]=='inf': return inf(fmt,B[1]),0
    s=val(A)+val(B)
    if s==0:
        if A[0]=='zero' and B[0]=='zero' and A[1]==B[1]: return encode(fmt,F(0),rm,A[1])
        return encode(fmt,F(0),rm,rm=='rdn')
    return encode(fmt,s,rm)
def sgn(d): return d[1] if d[0] in ('inf','zero') else d[1]<0
def mul(fmt,a,b,rm='rne'):
    A,B=decode(fmt,a),decode(fmt,b)
    if isnan(A) or isnan(B): return nanres(fmt,A,B)
    neg=sgn(A)!=sgn(B)
    if (A[0]=='inf' and B[0]=='zero') or (A[0]=='zero' and B[0]=='inf'): return qnan(fmt),NV
    if A[0]=='inf' or B[0]=='inf': return inf(fmt,neg),0
    p=val(A)*val(B)
    if p==0: return encode(fmt,F(0),rm,neg)
    return encode(fmt,p,rm)
def div(fmt,a,b,rm='rne'):
    A,B=decode(fmt,a),decode(fmt,b)
    if isnan(A) or isnan(B): return nanres(fmt,A,B)
    neg=sgn(A)!=sgn(B)
    if A[0]=='inf' and B[0]=='inf': return qnan(fmt),NV
    if A[0]=='zero' and B[0]=='zero': return qnan(fmt),NV
    if A[0]=='inf': return inf(fmt,neg),0
    if B[0]=='inf': return encode(fmt,F(0),rm,neg)[0],0
    if B[0]=='zero': return inf(fmt,neg),DZ
    if A[0]=='zero': return encode(fmt,F(0),rm,neg)[0],0
    return encode(fmt,val(A)/val(B),rm)
def sqrt(fmt,a,rm='rne'):
    A=decode(fmt,a)
    if isnan(A): return nanres(fmt,A)
    if A[0]=='zero': return a,0
    if sgn(A): return qnan(fmt),NV
    if A[0]=='inf': return a,0
    v=val(A)
    # exact integer square root on a scaled value, with a sticky bit
    k=1700
    N=v*F(2)**(2*k)
    q=N.numerator*(1) // N.denominator
    r=math.isqrt(q)
    exact = (r*r==q and N.denominator==1 and q==N.numerator)
    approx=F(r,1)/F(2)**k
    if not exact: approx+=F(1,2**(k+1))   # sticky: strictly between r and r+1
    return encode(fmt,approx,rm)
def fma(fmt,a,b,c,rm='rne',negprod=False,negc=False):
    A,B,C=decode(fmt,a),decode(fmt,b),decode(fmt,c)
    # inf*0 is invalid even when c is a quiet NaN (RISC-V raises NV)
    if (A[0]=='inf' and B[0]=='zero') or (A[0]=='zero' and B[0]=='inf'):
        return qnan(fmt),NV
    if isnan(A) or isnan(B) or isnan(C): return nanres(fmt,A,B,C)
    pneg=(sgn(A)!=sgn(B))^negprod
    cneg=sgn(C)^negc
    if A[0]=='inf' or B[0]=='inf':
        if C[0]=='inf' and cneg!=pneg: return qnan(fmt),NV
        return inf(fmt,pneg),0
    if C[0]=='inf': return inf(fmt,cneg),0
    p=val(A)*val(B); p=-p if negprod else p
    cv=val(C); cv=-cv if negc else cv
    s=p+cv
    if s==0:
        pz = p==0; cz = C[0]=='zero'
        if pz and cz and pneg==cneg: return encode(fmt,F(0),rm,pneg)
        return encode(fmt,F(0),rm,rm=='rdn')
    return encode(fmt,s,rm)
def minmax(fmt,a,b,ismax):
    A,B=decode(fmt,a),decode(fmt,b)
    fl=NV if A[0]=='snan' or B[0]=='snan' else 0
    if isnan(A) and isnan(B): return qnan(fmt),fl
    if isnan(A): return b,fl
    if isnan(B): return a,fl
    def key(d,bits):
        if d[0]=='inf': return (F(10)**400)*(-1 if d[1] else 1),0
        if d[0]=='zero': return F(0),(0 if d[1] else 1)
        return d[1],0
    ka,kb=key(A,a),key(B,b)
    if ismax: return (a if ka>=kb else b),fl
    return (a if ka<=kb else b),fl
def cmp(fmt,a,b,op):
    A,B=decode(fmt,a),decode(fmt,b)
    if isnan(A) or isnan(B):
        if op=='eq': return 0,(NV if A[0]=='snan' or B[0]=='snan' else 0)
        return 0,NV
    def num(d):
        if d[0]=='inf': return (F(10)**400)*(-1 if d[1] else 1)
        return val(d)
    x,y=num(A),num(B)
    return int({'eq':x==y,'lt':x<y,'le':x<=y}[op]),0
def fclass(fmt,a):
    A=decode(fmt,a); e,m,_=parts(fmt)
    if A[0]=='snan': return 1<<8
    if A[0]=='qnan': return 1<<9
    if A[0]=='inf': return 1<<(0 if A[1] else 7)
    if A[0]=='zero': return 1<<(3 if A[1] else 4)
    sub=(a>>m)&((1<<e)-1)==0
    if A[1]<0: return 1<<(2 if sub else 1)
    return 1<<(5 if sub else 6)
M64=(1<<64)-1
def f2i(fmt,a,bits,signed,rm='rne'):
    A=decode(fmt,a)
    lo=-(1<<(bits-1)) if signed else 0
    hi=(1<<(bits-1))-1 if signed else (1<<bits)-1
    def fin(v):
        if bits==32: v&=0xffffffff; v= v-(1<<32) if v>>31 else v
        return v&M64
    if isnan(A): return fin(hi),NV
    if A[0]=='inf': return fin(lo if A[1] else hi),NV
    v=val(A); neg=v<0
    n=rnd_int(abs(v),rm,neg); n=-n if neg else n
    if n<lo: return fin(lo),NV
    if n>hi: return fin(hi),NV
    return fin(n),(NX if n!=v else 0)
def i2f(fmt,x,bits,signed,rm='rne'):
    x&=(1<<bits)-1
    if signed and x>>(bits-1): x-=1<<bits
    if x==0: return 0,0
    return encode(fmt,F(x),rm)
def cvt(src,dst,a,rm='rne'):
    A=decode(src,a)
    if isnan(A): return qnan(dst),(NV if A[0]=='snan' else 0)
    if A[0]=='inf': return inf(dst,A[1]),0
    if A[0]=='zero': return (signbit(dst) if A[1] else 0),0
    return encode(dst,A[1],rm)
def fbits(fmt,x):
    return struct.unpack('<I',struct.pack('<f',x))[0] if fmt=='s' else struct.unpack('<Q',struct.pack('<d',x))[0]
