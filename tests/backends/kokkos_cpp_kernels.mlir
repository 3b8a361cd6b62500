// L3 kernels exercising the Kokkos C++ emitter (tests/backends/test_kokkos_cpp_jit.py).
!v = memref<?xf64, #kokkos.space<host>>
!vf = memref<?xf32, #kokkos.space<host>>
!vi = memref<?xi32, #kokkos.space<host>>
!vl = memref<?xi64, #kokkos.space<host>>
!v2 = memref<?x?xf64, #kokkos.space<host>>
!v2L = memref<?x?xf64, strided<[1, ?]>, #kokkos.space<host>>
!v2S = memref<?x?xf64, strided<[?, ?], offset: ?>, #kokkos.space<host>>
!v3 = memref<?x?x?xf64, #kokkos.space<host>>
!s1 = memref<?xf64, #kokkos.space<scratch>>
!hv = memref<?xf64, #kokkos.space<host>>
!v0 = memref<f64, #kokkos.space<host>>
!vfix = memref<3x?xf64, #kokkos.space<host>>
!vrow = memref<?xf64, strided<[1], offset: ?>, #kokkos.space<host>>
builtin.module {
  func.func private @sq(%x: f64) -> f64 attributes {kokkos.device_function} {
    %r = arith.mulf %x, %x : f64
    func.return %r : f64
  }

  func.func @axpy(%b: i64, %e: i64, %a: f64, %x: !v, %y: !v) attributes {kokkos.entry = #kokkos.entry<for>} {
    %lo = arith.index_cast %b : i64 to index
    %hi = arith.index_cast %e : i64 to index
    kokkos.parallel_for "axpy" #kokkos.range on <default>(%lo, %hi) {
    ^bb0(%i: index):
      %xi = memref.load %x[%i] : !v
      %yi = memref.load %y[%i] : !v
      %t = arith.mulf %a, %xi : f64
      %s = arith.addf %t, %yi : f64
      memref.store %s, %y[%i] : !v
      kokkos.yield
    }
    func.return
  }

  func.func @dot(%b: i64, %e: i64, %x: !v, %y: !v) -> f64 attributes {kokkos.entry = #kokkos.entry<reduce>} {
    %lo = arith.index_cast %b : i64 to index
    %hi = arith.index_cast %e : i64 to index
    %z = arith.constant 0.0 : f64
    %r = kokkos.parallel_reduce "dot" #kokkos.range on <default>(%lo, %hi) init(%z : f64) [#kokkos.reducer<sum>] {
    ^bb0(%i: index, %acc: f64):
      %xi = memref.load %x[%i] : !v
      %yi = memref.load %y[%i] : !v
      %t = arith.mulf %xi, %yi : f64
      %s = arith.addf %acc, %t : f64
      kokkos.yield %s : f64
    } -> f64
    func.return %r : f64
  }

  // sum, prod, min, max in one launch (struct reducer); min/max inits are not identities.
  func.func @stats(%b: i64, %e: i64, %x: !v) -> (f64, f64, f64, f64) attributes {kokkos.entry = #kokkos.entry<reduce>} {
    %lo = arith.index_cast %b : i64 to index
    %hi = arith.index_cast %e : i64 to index
    %z = arith.constant 0.0 : f64
    %one = arith.constant 1.0 : f64
    %big = arith.constant 1.0e300 : f64
    %small = arith.constant -1.0e300 : f64
    %r:4 = kokkos.parallel_reduce "stats" #kokkos.range on <default>(%lo, %hi) init(%z, %one, %big, %small : f64, f64, f64, f64) [#kokkos.reducer<sum>, #kokkos.reducer<prod>, #kokkos.reducer<min>, #kokkos.reducer<max>] {
    ^bb0(%i: index, %s: f64, %p: f64, %mn: f64, %mx: f64):
      %xi = memref.load %x[%i] : !v
      %s2 = arith.addf %s, %xi : f64
      %p2 = arith.mulf %p, %xi : f64
      %mn2 = arith.minimumf %mn, %xi : f64
      %mx2 = arith.maximumf %mx, %xi : f64
      kokkos.yield %s2, %p2, %mn2, %mx2 : f64, f64, f64, f64
    } -> f64, f64, f64, f64
    func.return %r#0, %r#1, %r#2, %r#3 : f64, f64, f64, f64
  }

  // A user-given (non-identity) init on a built-in reducer.
  func.func @sum_init(%b: i64, %e: i64, %x: !v, %init: f64) -> f64 attributes {kokkos.entry = #kokkos.entry<reduce>} {
    %lo = arith.index_cast %b : i64 to index
    %hi = arith.index_cast %e : i64 to index
    %r = kokkos.parallel_reduce "sum_init" #kokkos.range on <default>(%lo, %hi) init(%init : f64) [#kokkos.reducer<sum>] {
    ^bb0(%i: index, %acc: f64):
      %xi = memref.load %x[%i] : !v
      %s = arith.addf %acc, %xi : f64
      kokkos.yield %s : f64
    } -> f64
    func.return %r : f64
  }

  func.func @max_only(%b: i64, %e: i64, %x: !v) -> f64 attributes {kokkos.entry = #kokkos.entry<reduce>} {
    %lo = arith.index_cast %b : i64 to index
    %hi = arith.index_cast %e : i64 to index
    %z = arith.constant -1.0e300 : f64
    %r = kokkos.parallel_reduce "max_only" #kokkos.range on <default>(%lo, %hi) init(%z : f64) [#kokkos.reducer<max>] {
    ^bb0(%i: index, %acc: f64):
      %xi = memref.load %x[%i] : !v
      %m = arith.maximumf %acc, %xi : f64
      kokkos.yield %m : f64
    } -> f64
    func.return %r : f64
  }

  // min with an infinite init: Kokkos' own Min identity (DBL_MAX) would leak out of empty ranges.
  func.func @min_inf(%b: i64, %e: i64, %x: !v) -> f64 attributes {kokkos.entry = #kokkos.entry<reduce>} {
    %lo = arith.index_cast %b : i64 to index
    %hi = arith.index_cast %e : i64 to index
    %inf = arith.constant 0x7FF0000000000000 : f64
    %r = kokkos.parallel_reduce "min_inf" #kokkos.range on <default>(%lo, %hi) init(%inf : f64) [#kokkos.reducer<min>] {
    ^bb0(%i: index, %acc: f64):
      %xi = memref.load %x[%i] : !v
      %m = arith.minimumf %acc, %xi : f64
      kokkos.yield %m : f64
    } -> f64
    func.return %r : f64
  }

  func.func @band_i64(%b: i64, %e: i64, %x: !vl) -> i64 attributes {kokkos.entry = #kokkos.entry<reduce>} {
    %lo = arith.index_cast %b : i64 to index
    %hi = arith.index_cast %e : i64 to index
    %z = arith.constant -1 : i64
    %r = kokkos.parallel_reduce "band_i64" #kokkos.range on <default>(%lo, %hi) init(%z : i64) [#kokkos.reducer<band>] {
    ^bb0(%i: index, %acc: i64):
      %xi = memref.load %x[%i] : !vl
      %m = arith.andi %acc, %xi : i64
      kokkos.yield %m : i64
    } -> i64
    func.return %r : i64
  }

  func.func @bor_i32(%b: i64, %e: i64, %x: !vi) -> i32 attributes {kokkos.entry = #kokkos.entry<reduce>} {
    %lo = arith.index_cast %b : i64 to index
    %hi = arith.index_cast %e : i64 to index
    %z = arith.constant 0 : i32
    %r = kokkos.parallel_reduce "bor_i32" #kokkos.range on <default>(%lo, %hi) init(%z : i32) [#kokkos.reducer<bor>] {
    ^bb0(%i: index, %acc: i32):
      %xi = memref.load %x[%i] : !vi
      %m = arith.ori %acc, %xi : i32
      kokkos.yield %m : i32
    } -> i32
    func.return %r : i32
  }

  func.func @minmax_i32(%b: i64, %e: i64, %x: !vi) -> (i32, i32) attributes {kokkos.entry = #kokkos.entry<reduce>} {
    %lo = arith.index_cast %b : i64 to index
    %hi = arith.index_cast %e : i64 to index
    %mx0 = arith.constant 2147483647 : i32
    %mn0 = arith.constant -2147483648 : i32
    %r:2 = kokkos.parallel_reduce "minmax_i32" #kokkos.range on <default>(%lo, %hi) init(%mx0, %mn0 : i32, i32) [#kokkos.reducer<min>, #kokkos.reducer<max>] {
    ^bb0(%i: index, %mn: i32, %mx: i32):
      %xi = memref.load %x[%i] : !vi
      %a = arith.minsi %mn, %xi : i32
      %c = arith.maxsi %mx, %xi : i32
      kokkos.yield %a, %c : i32, i32
    } -> i32, i32
    func.return %r#0, %r#1 : i32, i32
  }

  // all(x > t), any(x > t): land/lor on i1 go through the generated reducer struct.
  func.func @all_any(%b: i64, %e: i64, %x: !v, %t: f64) -> (i1, i1) attributes {kokkos.entry = #kokkos.entry<reduce>} {
    %lo = arith.index_cast %b : i64 to index
    %hi = arith.index_cast %e : i64 to index
    %tr = arith.constant true
    %fa = arith.constant false
    %r:2 = kokkos.parallel_reduce "all_any" #kokkos.range on <default>(%lo, %hi) init(%tr, %fa : i1, i1) [#kokkos.reducer<land>, #kokkos.reducer<lor>] {
    ^bb0(%i: index, %all: i1, %any: i1):
      %xi = memref.load %x[%i] : !v
      %c = arith.cmpf ogt, %xi, %t : f64
      %a2 = arith.andi %all, %c : i1
      %o2 = arith.ori %any, %c : i1
      kokkos.yield %a2, %o2 : i1, i1
    } -> i1, i1
    func.return %r#0, %r#1 : i1, i1
  }

  // argmax with a custom join: the larger value wins, ties go to the smaller index.
  func.func @argmax(%b: i64, %e: i64, %x: !v) -> (f64, i64) attributes {kokkos.entry = #kokkos.entry<reduce>} {
    %lo = arith.index_cast %b : i64 to index
    %hi = arith.index_cast %e : i64 to index
    %v0 = arith.constant -1.0e300 : f64
    %i0 = arith.constant 9223372036854775807 : i64
    %r:2 = kokkos.parallel_reduce "argmax" #kokkos.range on <default>(%lo, %hi) init(%v0, %i0 : f64, i64) [#kokkos.reducer<custom>, #kokkos.reducer<custom>] {
    ^bb0(%i: index, %bv: f64, %bi: i64):
      %xi = memref.load %x[%i] : !v
      %ii = arith.index_cast %i : index to i64
      %gt = arith.cmpf ogt, %xi, %bv : f64
      %eq = arith.cmpf oeq, %xi, %bv : f64
      %lt = arith.cmpi slt, %ii, %bi : i64
      %tie = arith.andi %eq, %lt : i1
      %take = arith.ori %gt, %tie : i1
      %nv = arith.select %take, %xi, %bv : f64
      %ni = arith.select %take, %ii, %bi : i64
      kokkos.yield %nv, %ni : f64, i64
    } join {
    ^bb0(%av: f64, %ai: i64, %cv: f64, %ci: i64):
      %gt = arith.cmpf ogt, %cv, %av : f64
      %eq = arith.cmpf oeq, %cv, %av : f64
      %lt = arith.cmpi slt, %ci, %ai : i64
      %tie = arith.andi %eq, %lt : i1
      %take = arith.ori %gt, %tie : i1
      %nv = arith.select %take, %cv, %av : f64
      %ni = arith.select %take, %ci, %ai : i64
      kokkos.yield %nv, %ni : f64, i64
    } -> f64, i64
    func.return %r#0, %r#1 : f64, i64
  }

  // Exclusive prefix sum offset by a runtime init; returns init + total.
  func.func @cumsum(%b: i64, %e: i64, %x: !v, %out: !v, %init: f64) -> f64 attributes {kokkos.entry = #kokkos.entry<scan>} {
    %lo = arith.index_cast %b : i64 to index
    %hi = arith.index_cast %e : i64 to index
    %r = kokkos.parallel_scan "cumsum" #kokkos.range on <default>(%lo, %hi) init(%init : f64) [#kokkos.reducer<sum>] {
    ^bb0(%i: index, %acc: f64, %final: i1):
      scf.if %final {
        memref.store %acc, %out[%i] : !v
      }
      %xi = memref.load %x[%i] : !v
      %s = arith.addf %acc, %xi : f64
      kokkos.yield %s : f64
    } -> f64
    func.return %r : f64
  }

  // Inclusive running maximum (a max scan through functor init/join).
  func.func @runmax(%b: i64, %e: i64, %x: !vl, %out: !vl) -> i64 attributes {kokkos.entry = #kokkos.entry<scan>} {
    %lo = arith.index_cast %b : i64 to index
    %hi = arith.index_cast %e : i64 to index
    %z = arith.constant -1000000000 : i64
    %r = kokkos.parallel_scan "runmax" #kokkos.range on <default>(%lo, %hi) init(%z : i64) [#kokkos.reducer<max>] {
    ^bb0(%i: index, %acc: i64, %final: i1):
      %xi = memref.load %x[%i] : !vl
      %m = arith.maxsi %acc, %xi : i64
      scf.if %final {
        memref.store %m, %out[%i] : !vl
      }
      kokkos.yield %m : i64
    } -> i64
    func.return %r : i64
  }

  // 3-D 7-point Laplacian on the interior, tiled MDRange.
  func.func @lap7(%b0: i64, %b1: i64, %b2: i64, %e0: i64, %e1: i64, %e2: i64, %u: !v3, %v: !v3) attributes {kokkos.entry = #kokkos.entry<for>} {
    %l0 = arith.index_cast %b0 : i64 to index
    %l1 = arith.index_cast %b1 : i64 to index
    %l2 = arith.index_cast %b2 : i64 to index
    %h0 = arith.index_cast %e0 : i64 to index
    %h1 = arith.index_cast %e1 : i64 to index
    %h2 = arith.index_cast %e2 : i64 to index
    %c1 = arith.constant 1 : index
    %six = arith.constant 6.0 : f64
    kokkos.parallel_for "lap7" #kokkos.mdrange<3, iterate = right, tile = [2, 4, 8]> on <default>(%l0, %l1, %l2, %h0, %h1, %h2) {
    ^bb0(%i: index, %j: index, %k: index):
      %im = arith.subi %i, %c1 : index
      %ip = arith.addi %i, %c1 : index
      %jm = arith.subi %j, %c1 : index
      %jp = arith.addi %j, %c1 : index
      %km = arith.subi %k, %c1 : index
      %kp = arith.addi %k, %c1 : index
      %a = memref.load %u[%im, %j, %k] : !v3
      %bb = memref.load %u[%ip, %j, %k] : !v3
      %c = memref.load %u[%i, %jm, %k] : !v3
      %d = memref.load %u[%i, %jp, %k] : !v3
      %f = memref.load %u[%i, %j, %km] : !v3
      %g = memref.load %u[%i, %j, %kp] : !v3
      %o = memref.load %u[%i, %j, %k] : !v3
      %s1 = arith.addf %a, %bb : f64
      %s2 = arith.addf %s1, %c : f64
      %s3 = arith.addf %s2, %d : f64
      %s4 = arith.addf %s3, %f : f64
      %s5 = arith.addf %s4, %g : f64
      %o6 = arith.mulf %six, %o : f64
      %r = arith.subf %s5, %o6 : f64
      memref.store %r, %v[%i, %j, %k] : !v3
      kokkos.yield
    }
    func.return
  }

  // MDRange reduction over a LayoutLeft (Fortran-order) view, iterate = left.
  func.func @wsum_left(%b0: i64, %b1: i64, %e0: i64, %e1: i64, %a: !v2L) -> f64 attributes {kokkos.entry = #kokkos.entry<reduce>} {
    %l0 = arith.index_cast %b0 : i64 to index
    %l1 = arith.index_cast %b1 : i64 to index
    %h0 = arith.index_cast %e0 : i64 to index
    %h1 = arith.index_cast %e1 : i64 to index
    %z = arith.constant 0.0 : f64
    %r = kokkos.parallel_reduce "wsum_left" #kokkos.mdrange<2, iterate = left> on <default>(%l0, %l1, %h0, %h1) init(%z : f64) [#kokkos.reducer<sum>] {
    ^bb0(%i: index, %j: index, %acc: f64):
      %x = memref.load %a[%i, %j] : !v2L
      %ii = arith.index_cast %i : index to i64
      %jj = arith.index_cast %j : index to i64
      %w0 = arith.muli %ii, %jj : i64
      %w = arith.sitofp %w0 : i64 to f64
      %t = arith.mulf %x, %w : f64
      %s = arith.addf %acc, %t : f64
      kokkos.yield %s : f64
    } -> f64
    func.return %r : f64
  }

  // c = 2 a + i - j with a Fortran-order input and output.
  func.func @affine_left(%b0: i64, %b1: i64, %e0: i64, %e1: i64, %a: !v2L, %c: !v2L) attributes {kokkos.entry = #kokkos.entry<for>} {
    %l0 = arith.index_cast %b0 : i64 to index
    %l1 = arith.index_cast %b1 : i64 to index
    %h0 = arith.index_cast %e0 : i64 to index
    %h1 = arith.index_cast %e1 : i64 to index
    %two = arith.constant 2.0 : f64
    kokkos.parallel_for "affine_left" #kokkos.mdrange<2, iterate = left> on <default>(%l0, %l1, %h0, %h1) {
    ^bb0(%i: index, %j: index):
      %x = memref.load %a[%i, %j] : !v2L
      %ii = arith.index_cast %i : index to i64
      %jj = arith.index_cast %j : index to i64
      %d = arith.subi %ii, %jj : i64
      %df = arith.sitofp %d : i64 to f64
      %t = arith.mulf %two, %x : f64
      %s = arith.addf %t, %df : f64
      memref.store %s, %c[%i, %j] : !v2L
      kokkos.yield
    }
    func.return
  }

  // Arbitrary strides (LayoutStride) in, LayoutRight out; calls a device function.
  func.func @sq_strided(%b0: i64, %b1: i64, %e0: i64, %e1: i64, %a: !v2S, %c: !v2) attributes {kokkos.entry = #kokkos.entry<for>} {
    %l0 = arith.index_cast %b0 : i64 to index
    %l1 = arith.index_cast %b1 : i64 to index
    %h0 = arith.index_cast %e0 : i64 to index
    %h1 = arith.index_cast %e1 : i64 to index
    kokkos.parallel_for "sq_strided" #kokkos.mdrange<2, iterate = right> on <default>(%l0, %l1, %h0, %h1) {
    ^bb0(%i: index, %j: index):
      %x = memref.load %a[%i, %j] : !v2S
      %y = func.call @sq(%x) : (f64) -> f64
      memref.store %y, %c[%i, %j] : !v2
      kokkos.yield
    }
    func.return
  }

  // Team kernel: stage row r (x2) in level-0 scratch, barrier, team reduce, single writes out[r].
  func.func @rowsum2(%league: i64, %ts: i64, %vl: i64, %a: !v2, %out: !v) attributes {kokkos.entry = #kokkos.entry<for>} {
    %lg = arith.index_cast %league : i64 to index
    %t = arith.index_cast %ts : i64 to index
    %w = arith.index_cast %vl : i64 to index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %n = memref.dim %a, %c1 : !v2
    %two = arith.constant 2.0 : f64
    %z = arith.constant 0.0 : f64
    kokkos.parallel_for "rowsum2" #kokkos.team<scratch_bytes = 0> on <default>(%lg, %t, %w) {
    ^bb0(%m: !kokkos.team_member):
      %r = kokkos.league_rank %m
      %s = kokkos.scratch_alloc %m(%n) level 0 : !s1
      kokkos.team_thread_range %m(%c0, %n) {
      ^bb0(%j: index):
        %x = memref.load %a[%r, %j] : !v2
        %y = arith.mulf %x, %two : f64
        memref.store %y, %s[%j] : !s1
        kokkos.yield
      }
      kokkos.team_barrier %m
      %tot = kokkos.team_thread_range %m(%c0, %n) init(%z : f64) reducers [#kokkos.reducer<sum>] {
      ^bb0(%j: index, %acc: f64):
        %x = memref.load %s[%j] : !s1
        %q = arith.addf %acc, %x : f64
        kokkos.yield %q : f64
      } -> f64
      kokkos.single <per_team> %m {
        memref.store %tot, %out[%r] : !v
        kokkos.yield
      }
      kokkos.yield
    }
    func.return
  }

  // Team reduce: each team adds its row's max (TeamThreadRange max reduce) once (team_rank 0).
  func.func @sum_rowmax(%league: i64, %ts: i64, %vl: i64, %a: !v2) -> f64 attributes {kokkos.entry = #kokkos.entry<reduce>} {
    %lg = arith.index_cast %league : i64 to index
    %t = arith.index_cast %ts : i64 to index
    %w = arith.index_cast %vl : i64 to index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %n = memref.dim %a, %c1 : !v2
    %z = arith.constant 0.0 : f64
    %ninf = arith.constant -1.0e300 : f64
    %res = kokkos.parallel_reduce "sum_rowmax" #kokkos.team<scratch_bytes = 0> on <default>(%lg, %t, %w) init(%z : f64) [#kokkos.reducer<sum>] {
    ^bb0(%m: !kokkos.team_member, %acc: f64):
      %r = kokkos.league_rank %m
      %mx = kokkos.team_thread_range %m(%c0, %n) init(%ninf : f64) reducers [#kokkos.reducer<max>] {
      ^bb0(%j: index, %cur: f64):
        %x = memref.load %a[%r, %j] : !v2
        %q = arith.maximumf %cur, %x : f64
        kokkos.yield %q : f64
      } -> f64
      %tr = kokkos.team_rank %m
      %first = arith.cmpi eq, %tr, %c0 : index
      %add = arith.select %first, %mx, %z : f64
      %acc2 = arith.addf %acc, %add : f64
      kokkos.yield %acc2 : f64
    } -> f64
    func.return %res : f64
  }

  // Hierarchical: team per i, TeamThreadRange over j, ThreadVectorRange sum over k.
  func.func @sum_last(%league: i64, %ts: i64, %vl: i64, %u: !v3, %o: !v2) attributes {kokkos.entry = #kokkos.entry<for>} {
    %lg = arith.index_cast %league : i64 to index
    %t = arith.index_cast %ts : i64 to index
    %w = arith.index_cast %vl : i64 to index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %nj = memref.dim %u, %c1 : !v3
    %nk = memref.dim %u, %c2 : !v3
    %z = arith.constant 0.0 : f64
    kokkos.parallel_for "sum_last" #kokkos.team<scratch_bytes = 0> on <default>(%lg, %t, %w) {
    ^bb0(%m: !kokkos.team_member):
      %i = kokkos.league_rank %m
      kokkos.team_thread_range %m(%c0, %nj) {
      ^bb0(%j: index):
        %s = kokkos.thread_vector_range %m(%c0, %nk) init(%z : f64) reducers [#kokkos.reducer<sum>] {
        ^bb0(%k: index, %acc: f64):
          %x = memref.load %u[%i, %j, %k] : !v3
          %q = arith.addf %acc, %x : f64
          kokkos.yield %q : f64
        } -> f64
        kokkos.single <per_thread> %m {
          memref.store %s, %o[%i, %j] : !v2
          kokkos.yield
        }
        kokkos.yield
      }
      kokkos.yield
    }
    func.return
  }

  // Atomics: integer histogram, weighted float histogram, per-bin max.
  func.func @hist(%b: i64, %e: i64, %idx: !vi, %wt: !v, %cnt: !vi, %acc: !v, %mx: !vl) attributes {kokkos.entry = #kokkos.entry<for>} {
    %lo = arith.index_cast %b : i64 to index
    %hi = arith.index_cast %e : i64 to index
    %one = arith.constant 1 : i32
    kokkos.parallel_for "hist" #kokkos.range on <default>(%lo, %hi) {
    ^bb0(%i: index):
      %k32 = memref.load %idx[%i] : !vi
      %k = arith.index_cast %k32 : i32 to index
      %w = memref.load %wt[%i] : !v
      %o1 = "memref.atomic_rmw"(%one, %cnt, %k) <{kind = 1 : i64}> : (i32, !vi, index) -> i32
      %o2 = "memref.atomic_rmw"(%w, %acc, %k) <{kind = 0 : i64}> : (f64, !v, index) -> f64
      %ii = arith.index_cast %i : index to i64
      %o3 = "memref.atomic_rmw"(%ii, %mx, %k) <{kind = 6 : i64}> : (i64, !vl, index) -> i64
      kokkos.yield
    }
    func.return
  }

  func.func @saxpy(%b: i64, %e: i64, %a: f32, %x: !vf, %y: !vf) attributes {kokkos.entry = #kokkos.entry<for>} {
    %lo = arith.index_cast %b : i64 to index
    %hi = arith.index_cast %e : i64 to index
    kokkos.parallel_for "saxpy" #kokkos.range on <default>(%lo, %hi) {
    ^bb0(%i: index):
      %xi = memref.load %x[%i] : !vf
      %yi = memref.load %y[%i] : !vf
      %t = arith.mulf %a, %xi : f32
      %s = arith.addf %t, %yi : f32
      memref.store %s, %y[%i] : !vf
      kokkos.yield
    }
    func.return
  }

  func.func @sdot(%b: i64, %e: i64, %x: !vf, %y: !vf) -> f32 attributes {kokkos.entry = #kokkos.entry<reduce>} {
    %lo = arith.index_cast %b : i64 to index
    %hi = arith.index_cast %e : i64 to index
    %z = arith.constant 0.0 : f32
    %r = kokkos.parallel_reduce "sdot" #kokkos.range on <default>(%lo, %hi) init(%z : f32) [#kokkos.reducer<sum>] {
    ^bb0(%i: index, %acc: f32):
      %xi = memref.load %x[%i] : !vf
      %yi = memref.load %y[%i] : !vf
      %t = arith.mulf %xi, %yi : f32
      %s = arith.addf %acc, %t : f32
      kokkos.yield %s : f32
    } -> f32
    func.return %r : f32
  }

  // Integer semantics: floordiv, truncating rem, shifts, xor, unsigned compare, i64 widening.
  func.func @iops(%b: i64, %e: i64, %x: !vi, %y: !vi, %o: !vl) attributes {kokkos.entry = #kokkos.entry<for>} {
    %lo = arith.index_cast %b : i64 to index
    %hi = arith.index_cast %e : i64 to index
    %c2 = arith.constant 2 : i32
    %c3 = arith.constant 3 : i32
    kokkos.parallel_for "iops" #kokkos.range on <default>(%lo, %hi) {
    ^bb0(%i: index):
      %a = memref.load %x[%i] : !vi
      %d = memref.load %y[%i] : !vi
      %fd = arith.floordivsi %a, %d : i32
      %rm = arith.remsi %a, %d : i32
      %sh = arith.shli %a, %c2 : i32
      %sr = arith.shrsi %a, %c3 : i32
      %xo = arith.xori %sh, %d : i32
      %ul = arith.cmpi ult, %a, %d : i32
      %ue = arith.extui %ul : i1 to i32
      %s1 = arith.addi %fd, %rm : i32
      %s2 = arith.addi %s1, %xo : i32
      %s3 = arith.addi %s2, %sr : i32
      %s4 = arith.addi %s3, %ue : i32
      %w = arith.extsi %s4 : i32 to i64
      %big = arith.constant 4294967296 : i64
      %r = arith.muli %w, %big : i64
      memref.store %r, %o[%i] : !vl
      kokkos.yield
    }
    func.return
  }

  // Math functions against NumPy.
  func.func @mathf(%b: i64, %e: i64, %x: !v, %o: !v) attributes {kokkos.entry = #kokkos.entry<for>} {
    %lo = arith.index_cast %b : i64 to index
    %hi = arith.index_cast %e : i64 to index
    %c15 = arith.constant 1.5 : f64
    %c3 = arith.constant 3.0 : f64
    %c2 = arith.constant 2.0 : f64
    %one = arith.constant 1.0 : f64
    kokkos.parallel_for "mathf" #kokkos.range on <default>(%lo, %hi) {
    ^bb0(%i: index):
      %xi = memref.load %x[%i] : !v
      %ab = math.absf %xi : f64
      %sq = math.sqrt %ab : f64
      %sn = math.sin %xi : f64
      %ex = math.exp %sn : f64
      %pw = math.powf %ab, %c15 : f64
      %x3 = arith.mulf %xi, %c3 : f64
      %rd = math.round %x3 : f64
      %re = math.roundeven %x3 : f64
      %cs = math.copysign %one, %xi : f64
      %th = math.tanh %xi : f64
      %at = math.atan2 %xi, %c2 : f64
      %fl = math.floor %x3 : f64
      %l1 = math.log1p %ab : f64
      %fm = math.fma %xi, %c2, %one : f64
      %a1 = arith.addf %sq, %ex : f64
      %a2 = arith.addf %a1, %pw : f64
      %a3 = arith.addf %a2, %rd : f64
      %a4 = arith.addf %a3, %cs : f64
      %a5 = arith.addf %a4, %th : f64
      %a6 = arith.addf %a5, %at : f64
      %a7 = arith.addf %a6, %fl : f64
      %a8 = arith.addf %a7, %l1 : f64
      %a9 = arith.mulf %a8, %re : f64
      %a10 = arith.addf %a9, %fm : f64
      memref.store %a10, %o[%i] : !v
      kokkos.yield
    }
    func.return
  }

  // scf.while + scf.if: Collatz steps; scf.for with iter_args: Horner polynomial sum_k (k+1) x^k.
  func.func @loops(%b: i64, %e: i64, %x: !vl, %steps: !vl, %y: !v, %p: !v, %deg: i64) attributes {kokkos.entry = #kokkos.entry<for>} {
    %lo = arith.index_cast %b : i64 to index
    %hi = arith.index_cast %e : i64 to index
    %one = arith.constant 1 : i64
    %two = arith.constant 2 : i64
    %three = arith.constant 3 : i64
    %zero = arith.constant 0 : i64
    %fz = arith.constant 0.0 : f64
    kokkos.parallel_for "loops" #kokkos.range on <default>(%lo, %hi) {
    ^bb0(%i: index):
      %n0 = memref.load %x[%i] : !vl
      %res:2 = scf.while (%n = %n0, %c = %zero) : (i64, i64) -> (i64, i64) {
        %more = arith.cmpi sgt, %n, %one : i64
        scf.condition(%more) %n, %c : i64, i64
      } do {
      ^bb0(%n: i64, %c: i64):
        %r = arith.remsi %n, %two : i64
        %even = arith.cmpi eq, %r, %zero : i64
        %nn = scf.if %even -> (i64) {
          %h = arith.divsi %n, %two : i64
          scf.yield %h : i64
        } else {
          %t = arith.muli %n, %three : i64
          %t1 = arith.addi %t, %one : i64
          scf.yield %t1 : i64
        }
        %c1 = arith.addi %c, %one : i64
        scf.yield %nn, %c1 : i64, i64
      }
      memref.store %res#1, %steps[%i] : !vl
      %yi = memref.load %y[%i] : !v
      %acc = scf.for %k = %zero to %deg step %one iter_args(%a = %fz) -> (f64) : i64 {
        %kk = arith.subi %deg, %k : i64
        %kf = arith.sitofp %kk : i64 to f64
        %m = arith.mulf %a, %yi : f64
        %s = arith.addf %m, %kf : f64
        scf.yield %s : f64
      }
      memref.store %acc, %p[%i] : !v
      kokkos.yield
    }
    func.return
  }

  // scf.parallel left inside a kernel body runs as a sequential loop nest (with its reduction).
  func.func @rowsum_seq(%b: i64, %e: i64, %a: !v2, %o: !v) attributes {kokkos.entry = #kokkos.entry<for>} {
    %lo = arith.index_cast %b : i64 to index
    %hi = arith.index_cast %e : i64 to index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %n = memref.dim %a, %c1 : !v2
    %z = arith.constant 0.0 : f64
    kokkos.parallel_for "rowsum_seq" #kokkos.range on <default>(%lo, %hi) {
    ^bb0(%i: index):
      %s = "scf.parallel"(%c0, %n, %c1, %z) <{operandSegmentSizes = array<i32: 1, 1, 1, 1>}> ({
      ^bb1(%j: index):
        %x = memref.load %a[%i, %j] : !v2
        "scf.reduce"(%x) ({
        ^bb2(%l: f64, %r: f64):
          %t = arith.addf %l, %r : f64
          "scf.reduce.return"(%t) : (f64) -> ()
        }) : (f64) -> ()
      }) : (index, index, index, f64) -> f64
      memref.store %s, %o[%i] : !v
      kokkos.yield
    }
    func.return
  }

  // A subview of row r (a LayoutStride view) scaled in place.
  func.func @scale_row(%b: i64, %e: i64, %a: !v2, %r: i64, %f: f64) attributes {kokkos.entry = #kokkos.entry<for>} {
    %lo = arith.index_cast %b : i64 to index
    %hi = arith.index_cast %e : i64 to index
    %ri = arith.index_cast %r : i64 to index
    %c1 = arith.constant 1 : index
    %n = memref.dim %a, %c1 : !v2
    %row = memref.subview %a[%ri, 0] [1, %n] [1, 1] : !v2 to !vrow
    kokkos.parallel_for "scale_row" #kokkos.range on <default>(%lo, %hi) {
    ^bb0(%j: index):
      %x = memref.load %row[%j] : !vrow
      %y = arith.mulf %x, %f : f64
      memref.store %y, %row[%j] : !vrow
      kokkos.yield
    }
    func.return
  }

  // TeamVectorRange over a row; a rank-0 view accumulated with an index-free atomic.
  func.func @tvr(%league: i64, %ts: i64, %vl: i64, %a: !v2, %o: !v2, %total: !v0) attributes {kokkos.entry = #kokkos.entry<for>} {
    %lg = arith.index_cast %league : i64 to index
    %t = arith.index_cast %ts : i64 to index
    %w = arith.index_cast %vl : i64 to index
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %n = memref.dim %a, %c1 : !v2
    %three = arith.constant 3.0 : f64
    kokkos.parallel_for "tvr" #kokkos.team<scratch_bytes = 0> on <default>(%lg, %t, %w) {
    ^bb0(%m: !kokkos.team_member):
      %i = kokkos.league_rank %m
      kokkos.team_vector_range %m(%c0, %n) {
      ^bb0(%j: index):
        %x = memref.load %a[%i, %j] : !v2
        %y = arith.mulf %x, %three : f64
        memref.store %y, %o[%i, %j] : !v2
        %old = "memref.atomic_rmw"(%x, %total) <{kind = 0 : i64}> : (f64, !v0) -> f64
        kokkos.yield
      }
      kokkos.yield
    }
    func.return
  }

  // A view with a static extent: the runtime checks it.
  func.func @fixed(%b0: i64, %b1: i64, %e0: i64, %e1: i64, %x: !vfix) attributes {kokkos.entry = #kokkos.entry<for>} {
    %l0 = arith.index_cast %b0 : i64 to index
    %l1 = arith.index_cast %b1 : i64 to index
    %h0 = arith.index_cast %e0 : i64 to index
    %h1 = arith.index_cast %e1 : i64 to index
    %one = arith.constant 1.0 : f64
    kokkos.parallel_for "fixed" #kokkos.mdrange<2, iterate = default> on <default>(%l0, %l1, %h0, %h1) {
    ^bb0(%i: index, %j: index):
      %x0 = memref.load %x[%i, %j] : !vfix
      %y = arith.addf %x0, %one : f64
      memref.store %y, %x[%i, %j] : !vfix
      kokkos.yield
    }
    func.return
  }

  // A host program: allocation, launches, fence, host loop, printing.
  func.func @prog(%n: i64) attributes {kokkos.host_program} {
    %ni = arith.index_cast %n : i64 to index
    %c0 = arith.constant 0 : index
    %v = kokkos.alloc "v"(%ni) : !v
    %half = arith.constant 0.5 : f64
    kokkos.parallel_for "fill" #kokkos.range on <default>(%c0, %ni) {
    ^bb0(%i: index):
      %ii = arith.index_cast %i : index to i64
      %f = arith.sitofp %ii : i64 to f64
      %h = arith.mulf %f, %half : f64
      memref.store %h, %v[%i] : !v
      kokkos.yield
    }
    kokkos.fence
    %z = arith.constant 0.0 : f64
    %s = kokkos.parallel_reduce "total" #kokkos.range on <default>(%c0, %ni) init(%z : f64) [#kokkos.reducer<sum>] {
    ^bb0(%i: index, %acc: f64):
      %x = memref.load %v[%i] : !v
      %q = arith.addf %acc, %x : f64
      kokkos.yield %q : f64
    } -> f64
    %h = kokkos.create_mirror_view %v : !v -> !hv
    kokkos.deep_copy %h, %v : !hv, !v
    %c1 = arith.constant 1 : index
    %last = arith.subi %ni, %c1 : index
    %lv = memref.load %h[%last] : !hv
    %tr = arith.constant true
    kokkos.print "n = {}, sum = {}, last = {:.3f}, ok = {}"(%n, %s, %lv, %tr : i64, f64, f64, i1)
    scf.for %k = %c0 to %ni step %c1 {
      %x = memref.load %h[%k] : !hv
      kokkos.print "v[{}] = {}"(%k, %x : index, f64)
    }
    func.return
  }
}
