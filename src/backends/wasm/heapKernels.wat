;; Host passes of the library's gradient fixes, for tfjs's wasm backend, as WebAssembly SIMD:
;; - maxPoolGrad: TensorFlow's MaxPoolGrad: each dy value of a window goes to the FIRST maximum of
;;   that window in row-major order (padding excluded; strict `>`, so ties keep the first and a NaN
;;   seed keeps the gradient). Four channels per SIMD lane group, the rest scalar.
;; - col2im: adds the patch matrix of a strided convolution's input gradient back into the image,
;;   one contiguous run per output position and filter row, four floats per SIMD add.
;; - maskByPositive: out = dy · step(y) (1 where y > 0, NaN where y is NaN, else 0), the ReLU mask of a fused convolution's input
;;   gradient in one pass (tfjs: a Step and a Multiply kernel), four floats per SIMD multiply.
;; - avgPoolGrad: TensorFlow's AvgPoolGrad: each dy value, divided by the number of its window's
;;   taps inside the input (`dy · fround(1/taps)`), is added to every such tap. Four channels per
;;   SIMD add, the rest scalar.
;;
;; They import the tfjs backend's own memory and work on byte addresses of tensors in that heap:
;; no stack, no data segment, nothing written outside `dx`. `dx` must be zero-filled by the caller.
;; Each dx element receives its contributions in the same order as the JavaScript passes, and a
;; float32 add is correctly rounded in both, so the results are bit-identical.
;; Compiled by scripts/build-wasm.ts into src/backends/wasm/heapKernelsBinary.ts (tests check that
;; the two agree). Not in Lucid.
(module
  (import "env" "memory" (memory 1))
  (func (export "maxPoolGrad")
    (param $dx i32) (param $xs i32) (param $dys i32)
    (param $nb i32) (param $ih i32) (param $iw i32) (param $c i32)
    (param $oh i32) (param $ow i32) (param $fh i32) (param $fw i32)
    (param $sh i32) (param $sw i32) (param $top i32) (param $left i32)
    (local $b i32) (local $oy i32) (local $ox i32)
    (local $y0 i32) (local $x0 i32)
    (local $fy0 i32) (local $fy1 i32) (local $fx0 i32) (local $fx1 i32)
    (local $fy i32) (local $fx i32)
    (local $pix i32) (local $c4b i32) (local $cb i32) (local $chb i32)
    (local $t0 i32) (local $o i32) (local $row i32) (local $off i32) (local $a i32)
    (local $best v128) (local $idx v128) (local $v v128) (local $m v128)
    (local $bs f32) (local $vs f32)
    (local.set $pix (i32.shl (local.get $c) (i32.const 2)))
    (local.set $cb (local.get $pix))
    (local.set $c4b (i32.shl (i32.and (local.get $c) (i32.const -4)) (i32.const 2)))
    (local.set $b (i32.const 0))
    (block $bE (loop $bL
      (br_if $bE (i32.ge_s (local.get $b) (local.get $nb)))
      (local.set $oy (i32.const 0))
      (block $oyE (loop $oyL
        (br_if $oyE (i32.ge_s (local.get $oy) (local.get $oh)))
        (block $oyNext
          (local.set $y0 (i32.sub (i32.mul (local.get $oy) (local.get $sh)) (local.get $top)))
          (local.set $fy0 (select (i32.sub (i32.const 0) (local.get $y0)) (i32.const 0) (i32.lt_s (local.get $y0) (i32.const 0))))
          (local.set $fy1 (i32.sub (local.get $ih) (local.get $y0)))
          (if (i32.gt_s (local.get $fy1) (local.get $fh)) (then (local.set $fy1 (local.get $fh))))
          (br_if $oyNext (i32.ge_s (local.get $fy0) (local.get $fy1)))
          (local.set $ox (i32.const 0))
          (block $oxE (loop $oxL
            (br_if $oxE (i32.ge_s (local.get $ox) (local.get $ow)))
            (block $oxNext
              (local.set $x0 (i32.sub (i32.mul (local.get $ox) (local.get $sw)) (local.get $left)))
              (local.set $fx0 (select (i32.sub (i32.const 0) (local.get $x0)) (i32.const 0) (i32.lt_s (local.get $x0) (i32.const 0))))
              (local.set $fx1 (i32.sub (local.get $iw) (local.get $x0)))
              (if (i32.gt_s (local.get $fx1) (local.get $fw)) (then (local.set $fx1 (local.get $fw))))
              (br_if $oxNext (i32.ge_s (local.get $fx0) (local.get $fx1)))
              ;; byte offset (from the image start) of the window's first tap, and of dy's window
              (local.set $t0 (i32.mul
                (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $ih)) (i32.add (local.get $y0) (local.get $fy0))) (local.get $iw))
                         (i32.add (local.get $x0) (local.get $fx0)))
                (local.get $pix)))
              (local.set $o (i32.mul
                (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $oh)) (local.get $oy)) (local.get $ow)) (local.get $ox))
                (local.get $pix)))
              ;; four channels at a time
              (local.set $chb (i32.const 0))
              (block $cE (loop $cL
                (br_if $cE (i32.ge_s (local.get $chb) (local.get $c4b)))
                (local.set $best (v128.load align=4 (i32.add (local.get $xs) (i32.add (local.get $t0) (local.get $chb)))))
                (local.set $idx (i32x4.add (i32x4.splat (i32.add (local.get $t0) (local.get $chb))) (v128.const i32x4 0 4 8 12)))
                (local.set $fy (local.get $fy0))
                (block $fyE (loop $fyL
                  (br_if $fyE (i32.ge_s (local.get $fy) (local.get $fy1)))
                  (local.set $row (i32.add
                    (i32.mul
                      (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $ih)) (i32.add (local.get $y0) (local.get $fy))) (local.get $iw)) (local.get $x0))
                      (local.get $pix))
                    (local.get $chb)))
                  (local.set $fx (local.get $fx0))
                  (block $fxE (loop $fxL
                    (br_if $fxE (i32.ge_s (local.get $fx) (local.get $fx1)))
                    (local.set $off (i32.add (local.get $row) (i32.mul (local.get $fx) (local.get $pix))))
                    (local.set $v (v128.load align=4 (i32.add (local.get $xs) (local.get $off))))
                    (local.set $m (f32x4.gt (local.get $v) (local.get $best)))
                    (local.set $best (v128.bitselect (local.get $v) (local.get $best) (local.get $m)))
                    (local.set $idx (v128.bitselect
                      (i32x4.add (i32x4.splat (local.get $off)) (v128.const i32x4 0 4 8 12))
                      (local.get $idx) (local.get $m)))
                    (local.set $fx (i32.add (local.get $fx) (i32.const 1)))
                    (br $fxL)))
                  (local.set $fy (i32.add (local.get $fy) (i32.const 1)))
                  (br $fyL)))
                ;; route the four dy values
                (local.set $a (i32.add (local.get $dx) (i32x4.extract_lane 0 (local.get $idx))))
                (f32.store (local.get $a) (f32.add (f32.load (local.get $a))
                  (f32.load (i32.add (local.get $dys) (i32.add (local.get $o) (local.get $chb))))))
                (local.set $a (i32.add (local.get $dx) (i32x4.extract_lane 1 (local.get $idx))))
                (f32.store (local.get $a) (f32.add (f32.load (local.get $a))
                  (f32.load offset=4 (i32.add (local.get $dys) (i32.add (local.get $o) (local.get $chb))))))
                (local.set $a (i32.add (local.get $dx) (i32x4.extract_lane 2 (local.get $idx))))
                (f32.store (local.get $a) (f32.add (f32.load (local.get $a))
                  (f32.load offset=8 (i32.add (local.get $dys) (i32.add (local.get $o) (local.get $chb))))))
                (local.set $a (i32.add (local.get $dx) (i32x4.extract_lane 3 (local.get $idx))))
                (f32.store (local.get $a) (f32.add (f32.load (local.get $a))
                  (f32.load offset=12 (i32.add (local.get $dys) (i32.add (local.get $o) (local.get $chb))))))
                (local.set $chb (i32.add (local.get $chb) (i32.const 16)))
                (br $cL)))
              ;; the remaining channels one at a time
              (block $sE (loop $sL
                (br_if $sE (i32.ge_s (local.get $chb) (local.get $cb)))
                (local.set $a (i32.add (local.get $t0) (local.get $chb)))
                (local.set $bs (f32.load (i32.add (local.get $xs) (local.get $a))))
                (local.set $fy (local.get $fy0))
                (block $gyE (loop $gyL
                  (br_if $gyE (i32.ge_s (local.get $fy) (local.get $fy1)))
                  (local.set $row (i32.add
                    (i32.mul
                      (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $ih)) (i32.add (local.get $y0) (local.get $fy))) (local.get $iw)) (local.get $x0))
                      (local.get $pix))
                    (local.get $chb)))
                  (local.set $fx (local.get $fx0))
                  (block $gxE (loop $gxL
                    (br_if $gxE (i32.ge_s (local.get $fx) (local.get $fx1)))
                    (local.set $off (i32.add (local.get $row) (i32.mul (local.get $fx) (local.get $pix))))
                    (local.set $vs (f32.load (i32.add (local.get $xs) (local.get $off))))
                    (if (f32.gt (local.get $vs) (local.get $bs)) (then
                      (local.set $bs (local.get $vs))
                      (local.set $a (local.get $off))))
                    (local.set $fx (i32.add (local.get $fx) (i32.const 1)))
                    (br $gxL)))
                  (local.set $fy (i32.add (local.get $fy) (i32.const 1)))
                  (br $gyL)))
                (local.set $a (i32.add (local.get $dx) (local.get $a)))
                (f32.store (local.get $a) (f32.add (f32.load (local.get $a))
                  (f32.load (i32.add (local.get $dys) (i32.add (local.get $o) (local.get $chb))))))
                (local.set $chb (i32.add (local.get $chb) (i32.const 4)))
                (br $sL)))
            )
            (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
            (br $oxL)))
        )
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br $oyL)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bL)))
  )

  (func (export "col2im")
    (param $dx i32) (param $patches i32)
    (param $nb i32) (param $ih i32) (param $iw i32) (param $ci i32)
    (param $oh i32) (param $ow i32) (param $kh i32) (param $kw i32)
    (param $sh i32) (param $sw i32) (param $top i32) (param $left i32)
    (local $b i32) (local $oy i32) (local $ox i32) (local $i i32)
    (local $y0 i32) (local $x0 i32) (local $i0 i32) (local $i1 i32) (local $j0 i32) (local $j1 i32)
    (local $lenb i32) (local $len16 i32) (local $kb i32) (local $kwcib i32)
    (local $row i32) (local $to i32) (local $from i32) (local $t i32)
    ;; bytes per patch row (kh·kw·ci floats) and per filter row (kw·ci floats)
    (local.set $kwcib (i32.shl (i32.mul (local.get $kw) (local.get $ci)) (i32.const 2)))
    (local.set $kb (i32.mul (local.get $kh) (local.get $kwcib)))
    (local.set $b (i32.const 0))
    (block $bE (loop $bL
      (br_if $bE (i32.ge_s (local.get $b) (local.get $nb)))
      (local.set $oy (i32.const 0))
      (block $oyE (loop $oyL
        (br_if $oyE (i32.ge_s (local.get $oy) (local.get $oh)))
        (local.set $y0 (i32.sub (i32.mul (local.get $oy) (local.get $sh)) (local.get $top)))
        (local.set $i0 (select (i32.sub (i32.const 0) (local.get $y0)) (i32.const 0) (i32.lt_s (local.get $y0) (i32.const 0))))
        (local.set $i1 (i32.sub (local.get $ih) (local.get $y0)))
        (if (i32.gt_s (local.get $i1) (local.get $kh)) (then (local.set $i1 (local.get $kh))))
        (local.set $ox (i32.const 0))
        (block $oxE (loop $oxL
          (br_if $oxE (i32.ge_s (local.get $ox) (local.get $ow)))
          (block $oxNext
            (local.set $x0 (i32.sub (i32.mul (local.get $ox) (local.get $sw)) (local.get $left)))
            (local.set $j0 (select (i32.sub (i32.const 0) (local.get $x0)) (i32.const 0) (i32.lt_s (local.get $x0) (i32.const 0))))
            (local.set $j1 (i32.sub (local.get $iw) (local.get $x0)))
            (if (i32.gt_s (local.get $j1) (local.get $kw)) (then (local.set $j1 (local.get $kw))))
            (br_if $oxNext (i32.ge_s (local.get $j0) (local.get $j1)))
            ;; the run: (j1 − j0)·ci floats, in bytes; its part in whole groups of four floats
            (local.set $lenb (i32.shl (i32.mul (i32.sub (local.get $j1) (local.get $j0)) (local.get $ci)) (i32.const 2)))
            (local.set $len16 (i32.and (local.get $lenb) (i32.const -16)))
            ;; byte offset of this output position's patch row, at tap j0
            (local.set $row (i32.add (local.get $patches) (i32.add
              (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $oh)) (local.get $oy)) (local.get $ow)) (local.get $ox)) (local.get $kb))
              (i32.shl (i32.mul (local.get $j0) (local.get $ci)) (i32.const 2)))))
            (local.set $i (local.get $i0))
            (block $iE (loop $iL
              (br_if $iE (i32.ge_s (local.get $i) (local.get $i1)))
              (local.set $to (i32.add (local.get $dx) (i32.shl
                (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $ih)) (i32.add (local.get $y0) (local.get $i))) (local.get $iw))
                                  (i32.add (local.get $x0) (local.get $j0)))
                         (local.get $ci))
                (i32.const 2))))
              (local.set $from (i32.add (local.get $row) (i32.mul (local.get $i) (local.get $kwcib))))
              (local.set $t (i32.const 0))
              (block $vE (loop $vL
                (br_if $vE (i32.ge_s (local.get $t) (local.get $len16)))
                (v128.store align=4 (i32.add (local.get $to) (local.get $t))
                  (f32x4.add (v128.load align=4 (i32.add (local.get $to) (local.get $t)))
                             (v128.load align=4 (i32.add (local.get $from) (local.get $t)))))
                (local.set $t (i32.add (local.get $t) (i32.const 16)))
                (br $vL)))
              (block $sE (loop $sL
                (br_if $sE (i32.ge_s (local.get $t) (local.get $lenb)))
                (f32.store (i32.add (local.get $to) (local.get $t))
                  (f32.add (f32.load (i32.add (local.get $to) (local.get $t)))
                           (f32.load (i32.add (local.get $from) (local.get $t)))))
                (local.set $t (i32.add (local.get $t) (i32.const 4)))
                (br $sL)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $iL)))
          )
          (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
          (br $oxL)))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br $oyL)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bL)))
  )

  (func (export "avgPoolGrad")
    (param $dx i32) (param $dys i32)
    (param $nb i32) (param $ih i32) (param $iw i32) (param $c i32)
    (param $oh i32) (param $ow i32) (param $fh i32) (param $fw i32)
    (param $sh i32) (param $sw i32) (param $top i32) (param $left i32)
    (local $b i32) (local $oy i32) (local $ox i32)
    (local $y0 i32) (local $x0 i32)
    (local $fy0 i32) (local $fy1 i32) (local $fx0 i32) (local $fx1 i32)
    (local $fy i32) (local $fx i32)
    (local $pix i32) (local $c4b i32) (local $chb i32)
    (local $o i32) (local $row i32) (local $a i32)
    (local $r f32) (local $rv v128) (local $v v128) (local $vs f32)
    (local.set $pix (i32.shl (local.get $c) (i32.const 2)))
    (local.set $c4b (i32.shl (i32.and (local.get $c) (i32.const -4)) (i32.const 2)))
    (local.set $b (i32.const 0))
    (block $bE (loop $bL
      (br_if $bE (i32.ge_s (local.get $b) (local.get $nb)))
      (local.set $oy (i32.const 0))
      (block $oyE (loop $oyL
        (br_if $oyE (i32.ge_s (local.get $oy) (local.get $oh)))
        (block $oyNext
          (local.set $y0 (i32.sub (i32.mul (local.get $oy) (local.get $sh)) (local.get $top)))
          (local.set $fy0 (select (i32.sub (i32.const 0) (local.get $y0)) (i32.const 0) (i32.lt_s (local.get $y0) (i32.const 0))))
          (local.set $fy1 (i32.sub (local.get $ih) (local.get $y0)))
          (if (i32.gt_s (local.get $fy1) (local.get $fh)) (then (local.set $fy1 (local.get $fh))))
          (br_if $oyNext (i32.ge_s (local.get $fy0) (local.get $fy1)))
          (local.set $ox (i32.const 0))
          (block $oxE (loop $oxL
            (br_if $oxE (i32.ge_s (local.get $ox) (local.get $ow)))
            (block $oxNext
              (local.set $x0 (i32.sub (i32.mul (local.get $ox) (local.get $sw)) (local.get $left)))
              (local.set $fx0 (select (i32.sub (i32.const 0) (local.get $x0)) (i32.const 0) (i32.lt_s (local.get $x0) (i32.const 0))))
              (local.set $fx1 (i32.sub (local.get $iw) (local.get $x0)))
              (if (i32.gt_s (local.get $fx1) (local.get $fw)) (then (local.set $fx1 (local.get $fw))))
              (br_if $oxNext (i32.ge_s (local.get $fx0) (local.get $fx1)))
              ;; 1 / (taps inside the input), in float32
              (local.set $r (f32.div (f32.const 1)
                (f32.convert_i32_s (i32.mul (i32.sub (local.get $fy1) (local.get $fy0)) (i32.sub (local.get $fx1) (local.get $fx0))))))
              (local.set $rv (f32x4.splat (local.get $r)))
              (local.set $o (i32.add (local.get $dys) (i32.mul
                (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $oh)) (local.get $oy)) (local.get $ow)) (local.get $ox))
                (local.get $pix))))
              (local.set $chb (i32.const 0))
              (block $cE (loop $cL
                (br_if $cE (i32.ge_s (local.get $chb) (local.get $c4b)))
                (local.set $v (f32x4.mul (v128.load align=4 (i32.add (local.get $o) (local.get $chb))) (local.get $rv)))
                (local.set $fy (local.get $fy0))
                (block $fyE (loop $fyL
                  (br_if $fyE (i32.ge_s (local.get $fy) (local.get $fy1)))
                  (local.set $row (i32.add (local.get $dx) (i32.add
                    (i32.mul
                      (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $ih)) (i32.add (local.get $y0) (local.get $fy))) (local.get $iw)) (local.get $x0))
                      (local.get $pix))
                    (local.get $chb))))
                  (local.set $fx (local.get $fx0))
                  (block $fxE (loop $fxL
                    (br_if $fxE (i32.ge_s (local.get $fx) (local.get $fx1)))
                    (local.set $a (i32.add (local.get $row) (i32.mul (local.get $fx) (local.get $pix))))
                    (v128.store align=4 (local.get $a) (f32x4.add (v128.load align=4 (local.get $a)) (local.get $v)))
                    (local.set $fx (i32.add (local.get $fx) (i32.const 1)))
                    (br $fxL)))
                  (local.set $fy (i32.add (local.get $fy) (i32.const 1)))
                  (br $fyL)))
                (local.set $chb (i32.add (local.get $chb) (i32.const 16)))
                (br $cL)))
              (block $sE (loop $sL
                (br_if $sE (i32.ge_s (local.get $chb) (local.get $pix)))
                (local.set $vs (f32.mul (f32.load (i32.add (local.get $o) (local.get $chb))) (local.get $r)))
                (local.set $fy (local.get $fy0))
                (block $gyE (loop $gyL
                  (br_if $gyE (i32.ge_s (local.get $fy) (local.get $fy1)))
                  (local.set $row (i32.add (local.get $dx) (i32.add
                    (i32.mul
                      (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $ih)) (i32.add (local.get $y0) (local.get $fy))) (local.get $iw)) (local.get $x0))
                      (local.get $pix))
                    (local.get $chb))))
                  (local.set $fx (local.get $fx0))
                  (block $gxE (loop $gxL
                    (br_if $gxE (i32.ge_s (local.get $fx) (local.get $fx1)))
                    (local.set $a (i32.add (local.get $row) (i32.mul (local.get $fx) (local.get $pix))))
                    (f32.store (local.get $a) (f32.add (f32.load (local.get $a)) (local.get $vs)))
                    (local.set $fx (i32.add (local.get $fx) (i32.const 1)))
                    (br $gxL)))
                  (local.set $fy (i32.add (local.get $fy) (i32.const 1)))
                  (br $gyL)))
                (local.set $chb (i32.add (local.get $chb) (i32.const 4)))
                (br $sL)))
            )
            (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
            (br $oxL)))
        )
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br $oyL)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bL)))
  )

  (func (export "maskByPositive")
    (param $out i32) (param $dy i32) (param $y i32) (param $n i32)
    (local $i i32) (local $n4 i32) (local $yv v128) (local $ys f32)
    ;; bytes, and the part in whole groups of four floats
    (local.set $n (i32.shl (local.get $n) (i32.const 2)))
    (local.set $n4 (i32.and (local.get $n) (i32.const -16)))
    (local.set $i (i32.const 0))
    (block $vE (loop $vL
      (br_if $vE (i32.ge_s (local.get $i) (local.get $n4)))
      ;; step(y): 1 where y > 0, y itself (NaN) where y is NaN, else 0 (tfjs's Step)
      (local.set $yv (v128.load align=4 (i32.add (local.get $y) (local.get $i))))
      (v128.store align=4 (i32.add (local.get $out) (local.get $i))
        (f32x4.mul
          (v128.load align=4 (i32.add (local.get $dy) (local.get $i)))
          (v128.bitselect (local.get $yv)
            (v128.bitselect (v128.const f32x4 1 1 1 1) (v128.const f32x4 0 0 0 0) (f32x4.gt (local.get $yv) (v128.const f32x4 0 0 0 0)))
            (f32x4.ne (local.get $yv) (local.get $yv)))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $vL)))
    (block $sE (loop $sL
      (br_if $sE (i32.ge_s (local.get $i) (local.get $n)))
      (local.set $ys (f32.load (i32.add (local.get $y) (local.get $i))))
      (f32.store (i32.add (local.get $out) (local.get $i))
        (f32.mul (f32.load (i32.add (local.get $dy) (local.get $i)))
          (select (local.get $ys)
            (select (f32.const 1) (f32.const 0) (f32.gt (local.get $ys) (f32.const 0)))
            (f32.ne (local.get $ys) (local.get $ys)))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $sL)))
  )
)
