# -*- Python -*-
import os
import lit.formats

config.name = "wse"
config.test_format = lit.formats.ShTest(True)
config.suffixes = [".mlir", ".onnxtext", ".test"]
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "unit", "python", "compare.py", "fuzz-wsebin.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.wse_obj_root, "test")

# Our tools first, then LLVM's FileCheck, not, split-file.
config.environment["PATH"] = os.pathsep.join(
    [config.wse_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", os.environ.get("PATH", ""))])
config.substitutions.append(("%python", config.python_executable))
config.substitutions.append(("%models", os.path.join(config.wse_src_root, "models")))
