import time, dedup, sys, hashlib
F="benchmarks/data/folders/zh-100000"
t={}; t0=time.time()
r=dedup.find_duplicates(F, timings=t)
print(round(time.time()-t0,2), {k: round(v,2) for k,v in t.items()}, len(r.pairs))
h=hashlib.sha256()
for a,b,s,k in zip(r.pair_index[:,0].tolist(), r.pair_index[:,1].tolist(), r.similarity.tolist(), r.kind.tolist()): h.update(f"{a},{b},{s:.9f},{k}\n".encode())
print(h.hexdigest()[:16])
