// One MoE FFN block (models/moe/model.py's MoE: 3 experts, top-2, capacity
// factor 1, so capacity 4 for 6 tokens; d_model 8, d_ff 8), exported by
// torch.onnx.export (opset 17) and imported by wse-translate --import-onnx.
module {
  func.func @main(%arg0: tensor<3x8x8xf32> {wse.init = dense_resource<moe.w1> : tensor<3x8x8xf32>, wse.param = "moe.w1"}, %arg1: tensor<3x8xf32> {wse.init = dense_resource<moe.b1> : tensor<3x8xf32>, wse.param = "moe.b1"}, %arg2: tensor<3x8x8xf32> {wse.init = dense_resource<moe.w2> : tensor<3x8x8xf32>, wse.param = "moe.w2"}, %arg3: tensor<3x8xf32> {wse.init = dense_resource<moe.b2> : tensor<3x8xf32>, wse.param = "moe.b2"}, %arg4: tensor<3x8xf32> {wse.init = dense_resource<moe.gate.weight> : tensor<3x8xf32>, wse.param = "moe.gate.weight"}, %arg5: tensor<1x6x8xf32> {wse.input = "x"}) -> (tensor<1x6x8xf32>, tensor<f32>) {
    %0 = wse.reshape %arg5 : tensor<1x6x8xf32> -> tensor<6x8xf32>
    %1 = wse.matmul %0, %arg4 {transpose_b = true} : tensor<6x8xf32>, tensor<3x8xf32>
    %2 = wse.softmax %1 {axis = 1 : i64} : tensor<6x3xf32>
    %values, %indices = wse.top_k %2 {axis = 1 : i64, k = 2 : i64} : tensor<6x3xf32>
    %3 = wse.reduce_sum %values {axes = array<i64: 1>, keep_dims = true} : tensor<6x2xf32>
    %4 = wse.div %values, %3 : tensor<6x2xf32>, tensor<6x1xf32>
    %5 = wse.constant dense<0> : tensor<i64>
    %6 = wse.less %indices, %5 : tensor<6x2xi64>, tensor<i64>
    %7 = wse.constant dense<3> : tensor<i64>
    %8 = wse.add %indices, %7 : tensor<6x2xi64>, tensor<i64>
    %9 = wse.select %6, %8, %indices : tensor<6x2xi1>, tensor<6x2xi64>, tensor<6x2xi64>
    %10 = wse.reshape %9 : tensor<6x2xi64> -> tensor<6x2x1xi64>
    %11 = wse.constant dense<[[[0, 1, 2]]]> : tensor<1x1x3xi64>
    %12 = wse.equal %10, %11 : tensor<6x2x1xi64>, tensor<1x1x3xi64>
    %13 = wse.constant dense<1> : tensor<i64>
    %14 = wse.constant dense<0> : tensor<i64>
    %15 = wse.select %12, %13, %14 : tensor<6x2x3xi1>, tensor<i64>, tensor<i64>
    %16 = wse.cast %15 : tensor<6x2x3xi64> -> tensor<6x2x3xf32>
    %17 = wse.transpose %16 {perm = array<i64: 1, 0, 2>} : tensor<6x2x3xf32>
    %18 = wse.reshape %17 : tensor<2x6x3xf32> -> tensor<12x3xf32>
    %19 = wse.cumsum %18 {axis = 0 : i64} : tensor<12x3xf32>
    %20 = wse.constant dense<1.000000e+00> : tensor<f32>
    %21 = wse.sub %19, %20 : tensor<12x3xf32>, tensor<f32>
    %22 = wse.mul %21, %18 : tensor<12x3xf32>, tensor<12x3xf32>
    %23 = wse.constant dense<4.000000e+00> : tensor<f32>
    %24 = wse.less %22, %23 : tensor<12x3xf32>, tensor<f32>
    %25 = wse.cast %24 : tensor<12x3xi1> -> tensor<12x3xf32>
    %26 = wse.mul %18, %25 : tensor<12x3xf32>, tensor<12x3xf32>
    %27 = wse.reshape %22 : tensor<12x3xf32> -> tensor<12x3x1xf32>
    %28 = wse.constant dense<[0.000000e+00, 1.000000e+00, 2.000000e+00, 3.000000e+00]> : tensor<4xf32>
    %29 = wse.equal %27, %28 : tensor<12x3x1xf32>, tensor<4xf32>
    %30 = wse.cast %29 : tensor<12x3x4xi1> -> tensor<12x3x4xf32>
    %31 = wse.reshape %26 : tensor<12x3xf32> -> tensor<12x3x1xf32>
    %32 = wse.mul %30, %31 : tensor<12x3x4xf32>, tensor<12x3x1xf32>
    %33 = wse.reshape %32 : tensor<12x3x4xf32> -> tensor<2x6x3x4xf32>
    %34 = wse.reduce_sum %33 {axes = array<i64: 0>} : tensor<2x6x3x4xf32>
    %35 = wse.transpose %4 {perm = array<i64: 1, 0>} : tensor<6x2xf32>
    %36 = wse.reshape %35 : tensor<2x6xf32> -> tensor<2x6x1x1xf32>
    %37 = wse.mul %33, %36 : tensor<2x6x3x4xf32>, tensor<2x6x1x1xf32>
    %38 = wse.reduce_sum %37 {axes = array<i64: 0>} : tensor<2x6x3x4xf32>
    %39 = wse.reshape %34 : tensor<6x3x4xf32> -> tensor<6x12xf32>
    %40 = wse.matmul %39, %0 {transpose_a = true} : tensor<6x12xf32>, tensor<6x8xf32>
    %41 = wse.reshape %40 : tensor<12x8xf32> -> tensor<3x4x8xf32>
    %42 = wse.matmul %41, %arg0 : tensor<3x4x8xf32>, tensor<3x8x8xf32>
    %43 = wse.reshape %arg1 : tensor<3x8xf32> -> tensor<3x1x8xf32>
    %44 = wse.add %42, %43 : tensor<3x4x8xf32>, tensor<3x1x8xf32>
    %45 = wse.mul %44, %44 : tensor<3x4x8xf32>, tensor<3x4x8xf32>
    %46 = wse.mul %44, %45 : tensor<3x4x8xf32>, tensor<3x4x8xf32>
    %47 = wse.constant dense<4.471500e-02> : tensor<f32>
    %48 = wse.mul %47, %46 : tensor<f32>, tensor<3x4x8xf32>
    %49 = wse.add %44, %48 : tensor<3x4x8xf32>, tensor<3x4x8xf32>
    %50 = wse.constant dense<0.797884583> : tensor<f32>
    %51 = wse.mul %50, %49 : tensor<f32>, tensor<3x4x8xf32>
    %52 = wse.tanh %51 : tensor<3x4x8xf32>
    %53 = wse.constant dense<1.000000e+00> : tensor<f32>
    %54 = wse.add %53, %52 : tensor<f32>, tensor<3x4x8xf32>
    %55 = wse.mul %44, %54 : tensor<3x4x8xf32>, tensor<3x4x8xf32>
    %56 = wse.constant dense<5.000000e-01> : tensor<f32>
    %57 = wse.mul %56, %55 : tensor<f32>, tensor<3x4x8xf32>
    %58 = wse.matmul %57, %arg2 : tensor<3x4x8xf32>, tensor<3x8x8xf32>
    %59 = wse.reshape %arg3 : tensor<3x8xf32> -> tensor<3x1x8xf32>
    %60 = wse.add %58, %59 : tensor<3x4x8xf32>, tensor<3x1x8xf32>
    %61 = wse.reshape %38 : tensor<6x3x4xf32> -> tensor<6x12xf32>
    %62 = wse.reshape %60 : tensor<3x4x8xf32> -> tensor<12x8xf32>
    %63 = wse.matmul %61, %62 : tensor<6x12xf32>, tensor<12x8xf32>
    %64 = wse.reduce_mean %2 {axes = array<i64: 0>} : tensor<6x3xf32>
    %65 = wse.slice %16 {limit = array<i64: 6, 1, 3>, start = array<i64: 0, 0, 0>, stride = array<i64: 1, 1, 1>} : tensor<6x2x3xf32>
    %66 = wse.reshape %65 : tensor<6x1x3xf32> -> tensor<6x3xf32>
    %67 = wse.reduce_mean %66 {axes = array<i64: 0>} : tensor<6x3xf32>
    %68 = wse.mul %64, %67 : tensor<3xf32>, tensor<3xf32>
    %69 = wse.reduce_sum %68 {axes = array<i64: 0>} : tensor<3xf32>
    %70 = wse.constant dense<3.000000e+00> : tensor<f32>
    %71 = wse.mul %69, %70 : tensor<f32>, tensor<f32>
    %72 = wse.reshape %63 : tensor<6x8xf32> -> tensor<1x6x8xf32>
    return %72, %71 : tensor<1x6x8xf32>, tensor<f32>
  }
}

{-#
  dialect_resources: {
    builtin: {
      moe.w1: "0x0400000055AA6F3E5F7FA1BDDBC9383FA137083E4573AA3D7DD7DF3ECFEA92BD6F9364BD308CEE3E3727213F9A51803F3A1BDC3CF6389E3ED05A53BE0650D7BE083A94BF420BDDBDA317BEBE820E903EE2ED043ED522B2BD50C2ADBEDB31F03E254D7A3E3C031A3F87202D3D2B9E19BFAED11CBB8DA084BE55081DBE025E4ABF4A735A3F5275D23D9F9166BE2EB592BEF82B8EBE8E25983E605E453FABE0813EF34D97BE48A429BF3014C13DFB750DBDDB667DBE247A3FBF3D7DC6BD2C1A643E9BA2293FE82A413FC23E853F87755A3FF157983FB71310BF934D22BE00D60BBF597A2EBD10BD273EB5BDC2BEB8AE4CBF5A71173CF91BC0BE97DBBD3DEC029F3EDE5FA33ECA85D8BA1BD188BE9097153F44FC493ED481783F9E9FCA3E29E725BCB0D45FBE4A8444BFAE4A53BEA75FF73EE5F84F3F63323BBE5EB626BF0B944B3D7F36623E0602163D38810E3F5585103ED3525E3E2D70CDBEA9C825BFE50BC0BE7EEE27BFCC5ED33DAEB92ABE9B8F5BBE2282EE3DCC00CC3E2047BDBDF1833DBE81EA1ABF0D97B3BE27B2043F208A9ABE94AE23BFB15C3E3D8385AABEFBA89B3E95E2BABE3E01303F95DDA83E4BFF733E5D1602BF1FB2B83D19DD5D3D193CC1BEA32EFA3D03F7113F171438BDEDD3BA3E6A336CBF9EF64CBCE0472F3FAB0CAA3FC930FC3EFD1D413E43F50C3F8B4612BF25F3993CCB8FAC3F812D1E3FE5F68A3E2889863E6351D4BEFC2034BF833C503F6368B03DB6454EBF2E7A75BE9ECA92BD717422BE07DB923E6D78FF3EFD298B3E3264213D66E4DC3EBAA81FBC43B5FD3E9F19C7BEEC4819BEE548C0BD223C753FA4B0B03EC29694BFF82319BFC0C1C93DCDB216BF018E683DA7670D3FFF9432BFC342733E5650D0BEC19AEC3E0947FDBD6E2B35BFA5C8FC3E7A703EBF2631963E2E18A23D96C8613DAA9DD1BEF5FCA13E505C75BF14EC273F05E0D6BD8B1FC83E7E5CFD3E4F55543E4E2541BF6E4E823FA6BF863DBBD582BE6F5B5BBF9B9382BE312573BEC026A2BE42DE3BBF64E4E0BE740485BF84DC0CBF475AB8BE2C78C33BB7F62D3E39E306BE50E6233F26E21E3C5D7CE1BE",
      moe.b1: "0x04000000A196603E0960AFBB314F2B3F2D0E0FBEFE448DBE61E6B8BF114741BF3616033FAD263DBFD5B960BFF8FC1B3DAD0F0ABF225D383F357F62BD1DAD933EF93BADBD791F03BD21EB043F9625E83E8D7673BE0DE9DEBE7B37943DCD90733FF5E1473E",
      moe.w2: "0x040000001A45A1BC482DCDBEFCB77DBE5F1839BEFBC9953E06F813BF3ECE92BD146AC7BDDE3B2FBDA17F323F71CE983EE63777BE47713BBEDBDC29BFECFE583F2531843F9A92EFBDD012B53E087E943EE45E093EA7C583BF94B5883EA40F89BE2619DDBE577740BC47F9153FBA204C3E157CCBBDDEF513BF822222BE60B7F03E68CF12BFBC0D8F3EAFB0CA3EA51BBDBD7155BBBED52C25BD43E5FABEE7C5F73C42587ABEB150D0BE2EEBD13EA717A2BE86BA253FFD3D3B3FBDD49EBE1407FD3E74465DBE468B9FBE6B6FDDBDAB337ABEF275C93E87585C3D2E2609BF06E56EBD192C02BF5B5719BFCBF5743E0E611DBF5A5D2FBFC792453F100488BC325656BE93DD02BEFB5484BDC09EDFBCD312513EC22C103FF6AF773FD3FB003F1998003F4EF65DBE710D1FBF236C243F719FF93D3DC6873E4C12EEBB02168FBFE0A63B3F190A1CBF43ECA43E2F85FB3F2AD27EBD0737173E40EB433E8ABA8CBE2079FEBEA9472C3FA80B793FA52A25BFD15D96BF3C6884BFD2CFE83E9FD2B1BE7ECF7A3F3B4A0DBF45888A3E96FC443FA8030B3F338A1F3F79AC6B3D78454F3F3D696D3E807E263F098CDF3E2661053D21F3C53EFE5AF8BECB3EE3BE5AFA22BEF6362BBEDE97683EC6767F3E71C4E03E4065473EC6333B3FD381753EE78C88BE92EE8DBC9D44A83ECB581FBE77DF8FBE598C77BE96D422BFD531B2BD98DA8D3ED503BABDCB19F0BD8EA1163E521DCC3ECFD1213F6D7CEF3E80A38B3E28C944BFF5F71F3E8D74BD3ED6A0393F6F3F034006220F3F748E48BF09F0B2BEFC0A933EDB781E3F70FAA3BE7EB4C3BEEA9EF63D826BAA3D0DD68EBFADD1313FDE9880BE2C00573FE41003BF5ECC573F55DD1BBFA3D4C33E2B3B193F2779B6BE774C06BD3C1E8D3F7B80643F82FDC1BB77CBFA3E607408BFB4CF623F31FB0EBE06C60DBE94B9BF3E7AB9A4BE80A6F3BED6040B3E98ECAB3E38CC6C3F0D71183FD60097BE2CF6F63E6C3241BFE45D903F2D491D3F528E78BE803A683E24FC2C3FAC2B5E3E7C6483BED27DBEBD11230D3E7DA5603D7006383E02F5C0BEBAE7EA3D7B4602BEE23D4A3FA73AFABD",
      moe.b2: "0x04000000697C19BFCC6B52BC3AB4663FB7A207BFE8C7D93F5B9491BE4E7373BEF81F5F3F10CB073FACB002BC9748233F82F29A3B8C283DBEE8ED1B3F2E95023ED2480C3EC5C2333FBC9B0A3FB3F9C93EF4EA8CBDCAD57A3D58D109BF35A1A6BEF8504FBF",
      moe.gate.weight: "0x0400000091A9063FF283723D2A8FEE3E6A8E1F3F9CCD4E3F8D4B2F3E6AFA853BF75F1E3E6ECB8BBE5A53A1BE6E78A2BE9D83F93EF5E0D63D94DB743C38C85A3F51CBB9BE8806C6BE7EA1983EBA0D20BFCDA2123F8245BD3ECB68203F889863BE1186D13E"
    }
  }
#-}
