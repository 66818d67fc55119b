var __defProp = Object.defineProperty;
var __name = (target, value) => __defProp(target, "name", { value, configurable: true });
var __export = (target, all) => {
  for (var name in all)
    __defProp(target, name, { get: all[name], enumerable: true });
};

// ../edge/build/admin/index.js
import { DurableObject, WorkerEntrypoint } from "cloudflare:workers";

// ../edge/build/admin/core.js
import wasmModule2 from "./f1f851a2081ce74a8920e75ddf75508a0f2913df-keygate_edge_bg.wasm";

// ../edge/build/admin/keygate_edge.js
var keygate_edge_exports = {};
__export(keygate_edge_exports, {
  LimiterCore: () => LimiterCore,
  __wbg_reset_state: () => __wbg_reset_state,
  default: () => __wbg_init,
  fetch: () => fetch2,
  forget_after_ms: () => forget_after_ms,
  initSync: () => initSync,
  scheduled: () => scheduled
});

// ../edge/build/admin/snippets/keygate-edge-baf2ee8e25768137/js/forward.js
async function forwardRequest(request, url, method, headers, extra) {
  const init = { method, headers: JSON.parse(headers), redirect: "manual" };
  if (method !== "GET" && method !== "HEAD" && request.body) init.body = request.body;
  const outgoing = new Request(url, init);
  let response;
  try {
    response = await fetch(outgoing);
  } catch {
    return null;
  }
  if (extra === "[]") return response;
  const added = new Headers(response.headers);
  for (const [name, value] of JSON.parse(extra)) added.set(name, value);
  return new Response(response.body, {
    status: response.status,
    statusText: response.statusText,
    headers: added
  });
}
__name(forwardRequest, "forwardRequest");

// ../edge/build/admin/keygate_edge.js
var LimiterCore = class {
  static {
    __name(this, "LimiterCore");
  }
  __destroy_into_raw() {
    const ptr = this.__wbg_ptr;
    this.__wbg_ptr = 0;
    LimiterCoreFinalization.unregister(this);
    return ptr;
  }
  free() {
    const ptr = this.__destroy_into_raw();
    __wbg_call_guard();
    wasm.__wbg_limitercore_free(ptr, 0);
  }
  /**
   * Decides one verification (`request` is a [`LimitRequest`] as JSON;
   * `now` the object's clock in ms) and returns `[answer, state]`, both
   * JSON: the answer for the caller, the state to store. A request that
   * is not a [`LimitRequest`] throws.
   * @param {string} request
   * @param {number} now
   * @returns {Array<any>}
   */
  decide(request, now) {
    if (this.__wbg_inst !== void 0 && this.__wbg_inst !== __wbg_instance_id) {
      throw new Error("Invalid stale object from previous Wasm instance");
    }
    const val2 = +now;
    const ptr0 = passStringToWasm0(request, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
    const len0 = WASM_VECTOR_LEN;
    let ret;
    __wbg_call_guard();
    ret = wasm.limitercore_decide(this.__wbg_ptr, ptr0, len0, val2);
    if (ret[2]) {
      throw takeFromExternrefTable0(ret[1]);
    }
    return takeFromExternrefTable0(ret[0]);
  }
  /**
   * Marks every key of this limiter deleted at `now` (the object's
   * clock, ms) and returns the state to store.
   * @param {number} now
   * @returns {string}
   */
  forget(now) {
    let deferred2_0;
    let deferred2_1;
    try {
      if (this.__wbg_inst !== void 0 && this.__wbg_inst !== __wbg_instance_id) {
        throw new Error("Invalid stale object from previous Wasm instance");
      }
      let ret;
      __wbg_call_guard();
      ret = wasm.limitercore_forget(this.__wbg_ptr, now);
      var ptr1 = ret[0];
      var len1 = ret[1];
      if (ret[3]) {
        ptr1 = 0;
        len1 = 0;
        throw takeFromExternrefTable0(ret[2]);
      }
      deferred2_0 = ptr1;
      deferred2_1 = len1;
      return getStringFromWasm0(ptr1, len1);
    } finally {
      __wbg_call_guard();
      wasm.__wbindgen_free(deferred2_0, deferred2_1, 1);
    }
  }
  /**
   * Takes the stored state (the JSON [`LimiterCore::decide`] returned
   * last, or nothing for a new object; unreadable state starts afresh).
   * @param {string | null} [stored]
   */
  load(stored) {
    if (this.__wbg_inst !== void 0 && this.__wbg_inst !== __wbg_instance_id) {
      throw new Error("Invalid stale object from previous Wasm instance");
    }
    var ptr0 = isLikeNone(stored) ? 0 : passStringToWasm0(stored, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
    var len0 = WASM_VECTOR_LEN;
    __wbg_call_guard();
    wasm.limitercore_load(this.__wbg_ptr, ptr0, len0);
  }
  /**
   * Whether the stored state has been read.
   * @returns {boolean}
   */
  loaded() {
    if (this.__wbg_inst !== void 0 && this.__wbg_inst !== __wbg_instance_id) {
      throw new Error("Invalid stale object from previous Wasm instance");
    }
    let ret;
    __wbg_call_guard();
    ret = wasm.limitercore_loaded(this.__wbg_ptr);
    return ret !== 0;
  }
  /**
   * A core that has not read its stored state yet.
   */
  constructor() {
    let ret;
    __wbg_call_guard();
    ret = wasm.limitercore_new();
    this.__wbg_ptr = ret;
    Object.defineProperty(this, "__wbg_inst", { value: __wbg_instance_id, writable: true });
    LimiterCoreFinalization.register(this, { ptr: ret, instance: __wbg_instance_id }, this);
    return this;
  }
};
if (Symbol.dispose) LimiterCore.prototype[Symbol.dispose] = LimiterCore.prototype.free;
function __wbg_reset_state() {
  __wbg_instance_id++;
  cachedDataViewMemory0 = null;
  cachedUint8ArrayMemory0 = null;
  if (typeof numBytesDecoded !== "undefined") numBytesDecoded = 0;
  if (typeof WASM_VECTOR_LEN !== "undefined") WASM_VECTOR_LEN = 0;
  __wbg_reinit_scheduled = false;
  wasmInstance = new WebAssembly.Instance(wasmModule, __wbg_get_imports());
  wasm = wasmInstance.exports;
  wasm.__wbindgen_start();
}
__name(__wbg_reset_state, "__wbg_reset_state");
function fetch2(req, headers, env, ctx) {
  const ptr0 = passStringToWasm0(headers, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
  const len0 = WASM_VECTOR_LEN;
  let ret;
  __wbg_call_guard();
  ret = wasm.fetch(req, ptr0, len0, env, ctx);
  return ret;
}
__name(fetch2, "fetch2");
function forget_after_ms() {
  let ret;
  __wbg_call_guard();
  ret = wasm.forget_after_ms();
  return ret;
}
__name(forget_after_ms, "forget_after_ms");
function scheduled(env) {
  let ret;
  __wbg_call_guard();
  ret = wasm.scheduled(env);
  return ret;
}
__name(scheduled, "scheduled");
function __wbg_get_imports() {
  const import0 = {
    __proto__: null,
    __wbg_Error_208446807d0d1e30: /* @__PURE__ */ __name(function(arg0, arg1) {
      const ret = Error(getStringFromWasm0(arg0, arg1));
      return ret;
    }, "__wbg_Error_208446807d0d1e30"),
    __wbg___wbindgen_boolean_get_4f1baf9a00be3c74: /* @__PURE__ */ __name(function(arg0) {
      const v = arg0;
      const ret = typeof v === "boolean" ? v : void 0;
      return isLikeNone(ret) ? 16777215 : ret ? 1 : 0;
    }, "__wbg___wbindgen_boolean_get_4f1baf9a00be3c74"),
    __wbg___wbindgen_is_falsy_d864b623500ae65d: /* @__PURE__ */ __name(function(arg0) {
      const ret = !arg0;
      return ret;
    }, "__wbg___wbindgen_is_falsy_d864b623500ae65d"),
    __wbg___wbindgen_is_function_741ff2bb612836f5: /* @__PURE__ */ __name(function(arg0) {
      const ret = typeof arg0 === "function";
      return ret;
    }, "__wbg___wbindgen_is_function_741ff2bb612836f5"),
    __wbg___wbindgen_is_null_c22311b1cc228e3a: /* @__PURE__ */ __name(function(arg0) {
      const ret = arg0 === null;
      return ret;
    }, "__wbg___wbindgen_is_null_c22311b1cc228e3a"),
    __wbg___wbindgen_is_object_8b968c3ab8e96595: /* @__PURE__ */ __name(function(arg0) {
      const val = arg0;
      const ret = typeof val === "object" && val !== null;
      return ret;
    }, "__wbg___wbindgen_is_object_8b968c3ab8e96595"),
    __wbg___wbindgen_is_string_fc456fee5d3317de: /* @__PURE__ */ __name(function(arg0) {
      const ret = typeof arg0 === "string";
      return ret;
    }, "__wbg___wbindgen_is_string_fc456fee5d3317de"),
    __wbg___wbindgen_is_undefined_be5b34249ff1fc15: /* @__PURE__ */ __name(function(arg0) {
      const ret = arg0 === void 0;
      return ret;
    }, "__wbg___wbindgen_is_undefined_be5b34249ff1fc15"),
    __wbg___wbindgen_number_get_934b640d0889af78: /* @__PURE__ */ __name(function(arg0, arg1) {
      const obj = arg1;
      const ret = typeof obj === "number" ? obj : void 0;
      getDataViewMemory0().setFloat64((arg0 >>> 0) + 8 * 1, isLikeNone(ret) ? 0 : ret, true);
      getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, !isLikeNone(ret), true);
    }, "__wbg___wbindgen_number_get_934b640d0889af78"),
    __wbg___wbindgen_string_get_7ce8eee7fd327545: /* @__PURE__ */ __name(function(arg0, arg1) {
      const obj = arg1;
      const ret = typeof obj === "string" ? obj : void 0;
      var ptr1 = isLikeNone(ret) ? 0 : passStringToWasm0(ret, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
      var len1 = WASM_VECTOR_LEN;
      getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 1, len1, true);
      getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, ptr1, true);
    }, "__wbg___wbindgen_string_get_7ce8eee7fd327545"),
    __wbg___wbindgen_throw_4c88d8bf264fd984: /* @__PURE__ */ __name(function(arg0, arg1) {
      throw new Error(getStringFromWasm0(arg0, arg1));
    }, "__wbg___wbindgen_throw_4c88d8bf264fd984"),
    __wbg__wbg_cb_unref_09736879a3f67559: /* @__PURE__ */ __name(function(arg0) {
      arg0._wbg_cb_unref();
    }, "__wbg__wbg_cb_unref_09736879a3f67559"),
    __wbg_abort_617e00e481af67ef: /* @__PURE__ */ __name(function(arg0) {
      const ret = arg0.abort();
      return ret;
    }, "__wbg_abort_617e00e481af67ef"),
    __wbg_all_f0bf01a09ab75e96: /* @__PURE__ */ __name(function() {
      return handleError(function(arg0) {
        const ret = arg0.all();
        return ret;
      }, arguments);
    }, "__wbg_all_f0bf01a09ab75e96"),
    __wbg_append_ba9a4dc30a0323fd: /* @__PURE__ */ __name(function() {
      return handleError(function(arg0, arg1, arg2, arg3, arg4) {
        arg0.append(getStringFromWasm0(arg1, arg2), getStringFromWasm0(arg3, arg4));
      }, arguments);
    }, "__wbg_append_ba9a4dc30a0323fd"),
    __wbg_arrayBuffer_39a766224696fd9d: /* @__PURE__ */ __name(function() {
      return handleError(function(arg0) {
        const ret = arg0.arrayBuffer();
        return ret;
      }, arguments);
    }, "__wbg_arrayBuffer_39a766224696fd9d"),
    __wbg_batch_96091dc10dddfa37: /* @__PURE__ */ __name(function() {
      return handleError(function(arg0, arg1) {
        const ret = arg0.batch(arg1);
        return ret;
      }, arguments);
    }, "__wbg_batch_96091dc10dddfa37"),
    __wbg_bind_08e753794865b4ad: /* @__PURE__ */ __name(function() {
      return handleError(function(arg0, arg1) {
        const ret = arg0.bind(...arg1);
        return ret;
      }, arguments);
    }, "__wbg_bind_08e753794865b4ad"),
    __wbg_body_0da01a9a056907d8: /* @__PURE__ */ __name(function(arg0) {
      const ret = arg0.body;
      return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
    }, "__wbg_body_0da01a9a056907d8"),
    __wbg_body_b86ad4fe78cc379c: /* @__PURE__ */ __name(function(arg0) {
      const ret = arg0.body;
      return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
    }, "__wbg_body_b86ad4fe78cc379c"),
    __wbg_call_a410eb4b59ed5965: /* @__PURE__ */ __name(function() {
      return handleError(function(arg0, arg1, arg2) {
        const ret = arg0.call(arg1, arg2);
        return ret;
      }, arguments);
    }, "__wbg_call_a410eb4b59ed5965"),
    __wbg_close_cadc3a918ac46979: /* @__PURE__ */ __name(function(arg0) {
      const ret = arg0.close();
      return ret;
    }, "__wbg_close_cadc3a918ac46979"),
    __wbg_crypto_23f565a907d30078: /* @__PURE__ */ __name(function(arg0) {
      const ret = arg0.crypto;
      return ret;
    }, "__wbg_crypto_23f565a907d30078"),
    __wbg_decide_2959e8c7171c5969: /* @__PURE__ */ __name(function() {
      return handleError(function(arg0, arg1, arg2) {
        const ret = arg0.decide(getStringFromWasm0(arg1, arg2));
        return ret;
      }, arguments);
    }, "__wbg_decide_2959e8c7171c5969"),
    __wbg_delete_a6567fcaf67de8ae: /* @__PURE__ */ __name(function() {
      return handleError(function(arg0, arg1, arg2) {
        const ret = arg0.delete(getStringFromWasm0(arg1, arg2));
        return ret;
      }, arguments);
    }, "__wbg_delete_a6567fcaf67de8ae"),
    __wbg_error_fb0cc188af28c0ae: /* @__PURE__ */ __name(function(arg0, arg1) {
      console.error(getStringFromWasm0(arg0, arg1));
    }, "__wbg_error_fb0cc188af28c0ae"),
    __wbg_fetch_281cf1dc944992c3: /* @__PURE__ */ __name(function() {
      return handleError(function(arg0) {
        const ret = fetch(arg0);
        return ret;
      }, arguments);
    }, "__wbg_fetch_281cf1dc944992c3"),
    __wbg_fetch_cb73c3918715f45c: /* @__PURE__ */ __name(function() {
      return handleError(function(arg0, arg1, arg2) {
        const ret = arg0.fetch(getStringFromWasm0(arg1, arg2));
        return ret;
      }, arguments);
    }, "__wbg_fetch_cb73c3918715f45c"),
    __wbg_fetch_f7b7aa46354743fd: /* @__PURE__ */ __name(function() {
      return handleError(function(arg0, arg1) {
        const ret = arg0.fetch(arg1);
        return ret;
      }, arguments);
    }, "__wbg_fetch_f7b7aa46354743fd"),
    __wbg_forget_3a417f179ae0fdfc: /* @__PURE__ */ __name(function() {
      return handleError(function(arg0) {
        const ret = arg0.forget();
        return ret;
      }, arguments);
    }, "__wbg_forget_3a417f179ae0fdfc"),
    __wbg_forwardRequest_c69d643d2344d5c5: /* @__PURE__ */ __name(function(arg0, arg1, arg2, arg3, arg4, arg5, arg6, arg7, arg8) {
      const ret = forwardRequest(arg0, getStringFromWasm0(arg1, arg2), getStringFromWasm0(arg3, arg4), getStringFromWasm0(arg5, arg6), getStringFromWasm0(arg7, arg8));
      return ret;
    }, "__wbg_forwardRequest_c69d643d2344d5c5"),
    __wbg_getRandomValues_d2908e0b99612b91: /* @__PURE__ */ __name(function() {
      return handleError(function(arg0, arg1) {
        arg0.getRandomValues(arg1);
      }, arguments);
    }, "__wbg_getRandomValues_d2908e0b99612b91"),
    __wbg_getReader_fadcafe607253a67: /* @__PURE__ */ __name(function(arg0) {
      const ret = arg0.getReader();
      return ret;
    }, "__wbg_getReader_fadcafe607253a67"),
    __wbg_getWriter_174052e9b400c61b: /* @__PURE__ */ __name(function() {
      return handleError(function(arg0) {
        const ret = arg0.getWriter();
        return ret;
      }, arguments);
    }, "__wbg_getWriter_174052e9b400c61b"),
    __wbg_get_0603b801ed343e58: /* @__PURE__ */ __name(function() {
      return handleError(function(arg0, arg1, arg2) {
        const ret = arg0.get(getStringFromWasm0(arg1, arg2));
        return ret;
      }, arguments);
    }, "__wbg_get_0603b801ed343e58"),
    __wbg_get_2080c49015e35254: /* @__PURE__ */ __name(function() {
      return handleError(function(arg0, arg1) {
        const ret = Reflect.get(arg0, arg1);
        return ret;
      }, arguments);
    }, "__wbg_get_2080c49015e35254"),
    __wbg_get_bf3b82e715052c62: /* @__PURE__ */ __name(function() {
      return handleError(function(arg0, arg1) {
        const ret = arg0.get(arg1);
        return ret;
      }, arguments);
    }, "__wbg_get_bf3b82e715052c62"),
    __wbg_get_unchecked_e6325ad374eff861: /* @__PURE__ */ __name(function(arg0, arg1) {
      const ret = arg0[arg1 >>> 0];
      return ret;
    }, "__wbg_get_unchecked_e6325ad374eff861"),
    __wbg_headers_5fc0106c076eb731: /* @__PURE__ */ __name(function(arg0) {
      const ret = arg0.headers;
      return ret;
    }, "__wbg_headers_5fc0106c076eb731"),
    __wbg_idFromName_339eec53ab4d9394: /* @__PURE__ */ __name(function() {
      return handleError(function(arg0, arg1, arg2) {
        const ret = arg0.idFromName(getStringFromWasm0(arg1, arg2));
        return ret;
      }, arguments);
    }, "__wbg_idFromName_339eec53ab4d9394"),
    __wbg_importKey_7a7c1d4b6efce584: /* @__PURE__ */ __name(function() {
      return handleError(function(arg0, arg1, arg2, arg3, arg4, arg5) {
        const ret = crypto.subtle.importKey(getStringFromWasm0(arg0, arg1), arg2, arg3, arg4 !== 0, arg5);
        return ret;
      }, arguments);
    }, "__wbg_importKey_7a7c1d4b6efce584"),
    __wbg_instanceof_Error_74e3cca0c4a69161: /* @__PURE__ */ __name(function(arg0) {
      let result;
      try {
        result = arg0 instanceof Error;
      } catch (_) {
        result = false;
      }
      const ret = result;
      return ret;
    }, "__wbg_instanceof_Error_74e3cca0c4a69161"),
    __wbg_instanceof_Response_5b0b4f7f1daeae51: /* @__PURE__ */ __name(function(arg0) {
      let result;
      try {
        result = arg0 instanceof Response;
      } catch (_) {
        result = false;
      }
      const ret = result;
      return ret;
    }, "__wbg_instanceof_Response_5b0b4f7f1daeae51"),
    __wbg_isArray_bcf1376d0d732d08: /* @__PURE__ */ __name(function(arg0) {
      const ret = Array.isArray(arg0);
      return ret;
    }, "__wbg_isArray_bcf1376d0d732d08"),
    __wbg_length_186163212ffe79c3: /* @__PURE__ */ __name(function(arg0) {
      const ret = arg0.length;
      return ret;
    }, "__wbg_length_186163212ffe79c3"),
    __wbg_length_b03a0fabb109b1e9: /* @__PURE__ */ __name(function(arg0) {
      const ret = arg0.length;
      return ret;
    }, "__wbg_length_b03a0fabb109b1e9"),
    __wbg_list_91f4599fa02acfb9: /* @__PURE__ */ __name(function() {
      return handleError(function(arg0, arg1) {
        const ret = arg0.list(arg1);
        return ret;
      }, arguments);
    }, "__wbg_list_91f4599fa02acfb9"),
    __wbg_log_6ba7cca2312bccfd: /* @__PURE__ */ __name(function(arg0, arg1) {
      console.log(getStringFromWasm0(arg0, arg1));
    }, "__wbg_log_6ba7cca2312bccfd"),
    __wbg_message_43d8c8f1d543a349: /* @__PURE__ */ __name(function(arg0) {
      const ret = arg0.message;
      return ret;
    }, "__wbg_message_43d8c8f1d543a349"),
    __wbg_method_3d406ebab4dd9853: /* @__PURE__ */ __name(function(arg0, arg1) {
      const ret = arg1.method;
      const ptr1 = passStringToWasm0(ret, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
      const len1 = WASM_VECTOR_LEN;
      getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 1, len1, true);
      getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, ptr1, true);
    }, "__wbg_method_3d406ebab4dd9853"),
    __wbg_msCrypto_d5f06fad6bf1409b: /* @__PURE__ */ __name(function(arg0) {
      const ret = arg0.msCrypto;
      return ret;
    }, "__wbg_msCrypto_d5f06fad6bf1409b"),
    __wbg_new_13de428334042d26: /* @__PURE__ */ __name(function(arg0) {
      const ret = new Uint8Array(arg0);
      return ret;
    }, "__wbg_new_13de428334042d26"),
    __wbg_new_277c27c26f94cbc2: /* @__PURE__ */ __name(function() {
      return handleError(function() {
        const ret = new Headers();
        return ret;
      }, arguments);
    }, "__wbg_new_277c27c26f94cbc2"),
    __wbg_new_37eb45aaf5eeb820: /* @__PURE__ */ __name(function() {
      const ret = new Array();
      return ret;
    }, "__wbg_new_37eb45aaf5eeb820"),
    __wbg_new_99be009c2aeb07e3: /* @__PURE__ */ __name(function() {
      return handleError(function() {
        const ret = new TransformStream();
        return ret;
      }, arguments);
    }, "__wbg_new_99be009c2aeb07e3"),
    __wbg_new_ba40181b3f24ac80: /* @__PURE__ */ __name(function(arg0, arg1) {
      try {
        var state0 = { a: arg0, b: arg1 };
        var cb0 = /* @__PURE__ */ __name((arg02, arg12) => {
          const a = state0.a;
          state0.a = 0;
          try {
            return wasm_bindgen_638bef72d50281e9___convert__closures_____invoke___js_sys_a152993e2aea1cd4___Function_fn_wasm_bindgen_638bef72d50281e9___JsValue_____wasm_bindgen_638bef72d50281e9___sys__Undefined___js_sys_a152993e2aea1cd4___Function_fn_wasm_bindgen_638bef72d50281e9___JsValue_____wasm_bindgen_638bef72d50281e9___sys__Undefined_______true_(a, state0.b, arg02, arg12);
          } finally {
            state0.a = a;
          }
        }, "cb0");
        const ret = new Promise(cb0);
        return ret;
      } finally {
        state0.a = 0;
      }
    }, "__wbg_new_ba40181b3f24ac80"),
    __wbg_new_cd4348290afae586: /* @__PURE__ */ __name(function() {
      const ret = new Object();
      return ret;
    }, "__wbg_new_cd4348290afae586"),
    __wbg_new_from_slice_b8daf545a41c6aa0: /* @__PURE__ */ __name(function(arg0, arg1) {
      const ret = new Uint8Array(getArrayU8FromWasm0(arg0, arg1));
      return ret;
    }, "__wbg_new_from_slice_b8daf545a41c6aa0"),
    __wbg_new_typed_e09da9dae6ee5935: /* @__PURE__ */ __name(function(arg0, arg1) {
      try {
        var state0 = { a: arg0, b: arg1 };
        var cb0 = /* @__PURE__ */ __name((arg02, arg12) => {
          const a = state0.a;
          state0.a = 0;
          try {
            return wasm_bindgen_638bef72d50281e9___convert__closures_____invoke___js_sys_a152993e2aea1cd4___Function_fn_wasm_bindgen_638bef72d50281e9___JsValue_____wasm_bindgen_638bef72d50281e9___sys__Undefined___js_sys_a152993e2aea1cd4___Function_fn_wasm_bindgen_638bef72d50281e9___JsValue_____wasm_bindgen_638bef72d50281e9___sys__Undefined_______true_(a, state0.b, arg02, arg12);
          } finally {
            state0.a = a;
          }
        }, "cb0");
        const ret = new Promise(cb0);
        return ret;
      } finally {
        state0.a = 0;
      }
    }, "__wbg_new_typed_e09da9dae6ee5935"),
    __wbg_new_with_headers_28412d4f955f6225: /* @__PURE__ */ __name(function() {
      return handleError(function(arg0) {
        const ret = new Headers(arg0);
        return ret;
      }, arguments);
    }, "__wbg_new_with_headers_28412d4f955f6225"),
    __wbg_new_with_length_01b143a7e5dd5a3e: /* @__PURE__ */ __name(function(arg0) {
      const ret = new Uint8Array(arg0 >>> 0);
      return ret;
    }, "__wbg_new_with_length_01b143a7e5dd5a3e"),
    __wbg_new_with_opt_buffer_source_and_init_efb63b64b37a12c7: /* @__PURE__ */ __name(function() {
      return handleError(function(arg0, arg1) {
        const ret = new Response(arg0, arg1);
        return ret;
      }, arguments);
    }, "__wbg_new_with_opt_buffer_source_and_init_efb63b64b37a12c7"),
    __wbg_new_with_opt_readable_stream_and_init_383c64eccf9e9cc7: /* @__PURE__ */ __name(function() {
      return handleError(function(arg0, arg1) {
        const ret = new Response(arg0, arg1);
        return ret;
      }, arguments);
    }, "__wbg_new_with_opt_readable_stream_and_init_383c64eccf9e9cc7"),
    __wbg_new_with_opt_str_and_init_6456bed24baae6fc: /* @__PURE__ */ __name(function() {
      return handleError(function(arg0, arg1, arg2) {
        const ret = new Response(arg0 === 0 ? void 0 : getStringFromWasm0(arg0, arg1), arg2);
        return ret;
      }, arguments);
    }, "__wbg_new_with_opt_str_and_init_6456bed24baae6fc"),
    __wbg_new_with_str_and_init_d9f6b5611184e16b: /* @__PURE__ */ __name(function() {
      return handleError(function(arg0, arg1, arg2) {
        const ret = new Request(getStringFromWasm0(arg0, arg1), arg2);
        return ret;
      }, arguments);
    }, "__wbg_new_with_str_and_init_d9f6b5611184e16b"),
    __wbg_new_with_str_f3fabb7c01bc9cf7: /* @__PURE__ */ __name(function() {
      return handleError(function(arg0, arg1) {
        const ret = new Request(getStringFromWasm0(arg0, arg1));
        return ret;
      }, arguments);
    }, "__wbg_new_with_str_f3fabb7c01bc9cf7"),
    __wbg_node_86166ff8ce1f2002: /* @__PURE__ */ __name(function(arg0) {
      const ret = arg0.node;
      return ret;
    }, "__wbg_node_86166ff8ce1f2002"),
    __wbg_now_463ac581d2fc7ea3: /* @__PURE__ */ __name(function() {
      const ret = Date.now();
      return ret;
    }, "__wbg_now_463ac581d2fc7ea3"),
    __wbg_of_027eb15371aac932: /* @__PURE__ */ __name(function(arg0) {
      const ret = Array.of(arg0);
      return ret;
    }, "__wbg_of_027eb15371aac932"),
    __wbg_of_4cc373bef1f715a4: /* @__PURE__ */ __name(function(arg0, arg1, arg2) {
      const ret = Array.of(arg0, arg1, arg2);
      return ret;
    }, "__wbg_of_4cc373bef1f715a4"),
    __wbg_of_e7ea0fcd535c1444: /* @__PURE__ */ __name(function(arg0, arg1) {
      const ret = Array.of(arg0, arg1);
      return ret;
    }, "__wbg_of_e7ea0fcd535c1444"),
    __wbg_parse_c3f72b5a24f83c01: /* @__PURE__ */ __name(function() {
      return handleError(function(arg0, arg1) {
        const ret = JSON.parse(getStringFromWasm0(arg0, arg1));
        return ret;
      }, arguments);
    }, "__wbg_parse_c3f72b5a24f83c01"),
    __wbg_prepare_e9e90b7d8e08aa15: /* @__PURE__ */ __name(function() {
      return handleError(function(arg0, arg1, arg2) {
        const ret = arg0.prepare(getStringFromWasm0(arg1, arg2));
        return ret;
      }, arguments);
    }, "__wbg_prepare_e9e90b7d8e08aa15"),
    __wbg_process_91f425a63f58e399: /* @__PURE__ */ __name(function(arg0) {
      const ret = arg0.process;
      return ret;
    }, "__wbg_process_91f425a63f58e399"),
    __wbg_prototypesetcall_13162965d1fe7aa3: /* @__PURE__ */ __name(function(arg0, arg1, arg2) {
      Uint8Array.prototype.set.call(getArrayU8FromWasm0(arg0, arg1), arg2);
    }, "__wbg_prototypesetcall_13162965d1fe7aa3"),
    __wbg_push_c9f4893fc209f768: /* @__PURE__ */ __name(function(arg0, arg1) {
      const ret = arg0.push(arg1);
      return ret;
    }, "__wbg_push_c9f4893fc209f768"),
    __wbg_put_0bb7dc01af5b5c62: /* @__PURE__ */ __name(function() {
      return handleError(function(arg0, arg1, arg2, arg3, arg4, arg5) {
        const ret = arg0.put(getStringFromWasm0(arg1, arg2), getStringFromWasm0(arg3, arg4), arg5);
        return ret;
      }, arguments);
    }, "__wbg_put_0bb7dc01af5b5c62"),
    __wbg_queueMicrotask_1e8503a8a690f0a3: /* @__PURE__ */ __name(function(arg0) {
      const ret = arg0.queueMicrotask;
      return ret;
    }, "__wbg_queueMicrotask_1e8503a8a690f0a3"),
    __wbg_queueMicrotask_4a1a4d8dd332373b: /* @__PURE__ */ __name(function(arg0) {
      queueMicrotask(arg0);
    }, "__wbg_queueMicrotask_4a1a4d8dd332373b"),
    __wbg_randomFillSync_34b023059e3363de: /* @__PURE__ */ __name(function() {
      return handleError(function(arg0, arg1) {
        arg0.randomFillSync(arg1);
      }, arguments);
    }, "__wbg_randomFillSync_34b023059e3363de"),
    __wbg_read_e3bea75dace70752: /* @__PURE__ */ __name(function(arg0) {
      const ret = arg0.read();
      return ret;
    }, "__wbg_read_e3bea75dace70752"),
    __wbg_readable_e49a1e3aca2bf0e0: /* @__PURE__ */ __name(function(arg0) {
      const ret = arg0.readable;
      return ret;
    }, "__wbg_readable_e49a1e3aca2bf0e0"),
    __wbg_require_9a7d8cc2e1d275c0: /* @__PURE__ */ __name(function() {
      return handleError(function() {
        const ret = module.require;
        return ret;
      }, arguments);
    }, "__wbg_require_9a7d8cc2e1d275c0"),
    __wbg_resolve_dbf78ab4942478b0: /* @__PURE__ */ __name(function(arg0) {
      const ret = Promise.resolve(arg0);
      return ret;
    }, "__wbg_resolve_dbf78ab4942478b0"),
    __wbg_setTimeout_63d844c22545ed4f: /* @__PURE__ */ __name(function(arg0, arg1) {
      setTimeout(arg0, arg1);
    }, "__wbg_setTimeout_63d844c22545ed4f"),
    __wbg_set_2793479888329cb6: /* @__PURE__ */ __name(function() {
      return handleError(function(arg0, arg1, arg2) {
        const ret = Reflect.set(arg0, arg1, arg2);
        return ret;
      }, arguments);
    }, "__wbg_set_2793479888329cb6"),
    __wbg_set_bcb0ec2400cfa22e: /* @__PURE__ */ __name(function() {
      return handleError(function(arg0, arg1, arg2, arg3, arg4) {
        arg0.set(getStringFromWasm0(arg1, arg2), getStringFromWasm0(arg3, arg4));
      }, arguments);
    }, "__wbg_set_bcb0ec2400cfa22e"),
    __wbg_set_body_877d5251e78ca815: /* @__PURE__ */ __name(function(arg0, arg1) {
      arg0.body = arg1;
    }, "__wbg_set_body_877d5251e78ca815"),
    __wbg_set_headers_07f10dbe49bc0e77: /* @__PURE__ */ __name(function(arg0, arg1) {
      arg0.headers = arg1;
    }, "__wbg_set_headers_07f10dbe49bc0e77"),
    __wbg_set_headers_6d75a7df4eb22716: /* @__PURE__ */ __name(function(arg0, arg1) {
      arg0.headers = arg1;
    }, "__wbg_set_headers_6d75a7df4eb22716"),
    __wbg_set_method_639e69af35614d36: /* @__PURE__ */ __name(function(arg0, arg1, arg2) {
      arg0.method = getStringFromWasm0(arg1, arg2);
    }, "__wbg_set_method_639e69af35614d36"),
    __wbg_set_status_bd9dc81d1c17b108: /* @__PURE__ */ __name(function(arg0, arg1) {
      arg0.status = arg1;
    }, "__wbg_set_status_bd9dc81d1c17b108"),
    __wbg_set_status_text_a693c4b116db57cc: /* @__PURE__ */ __name(function(arg0, arg1, arg2) {
      arg0.statusText = getStringFromWasm0(arg1, arg2);
    }, "__wbg_set_status_text_a693c4b116db57cc"),
    __wbg_static_accessor_GLOBAL_THIS_003ee833af9699fc: /* @__PURE__ */ __name(function() {
      const ret = typeof globalThis === "undefined" ? void 0 : globalThis;
      return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
    }, "__wbg_static_accessor_GLOBAL_THIS_003ee833af9699fc"),
    __wbg_static_accessor_GLOBAL_e4293fb22cbe77da: /* @__PURE__ */ __name(function() {
      const ret = typeof global === "undefined" ? void 0 : global;
      return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
    }, "__wbg_static_accessor_GLOBAL_e4293fb22cbe77da"),
    __wbg_static_accessor_SELF_53bb20457401453d: /* @__PURE__ */ __name(function() {
      const ret = typeof self === "undefined" ? void 0 : self;
      return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
    }, "__wbg_static_accessor_SELF_53bb20457401453d"),
    __wbg_static_accessor_WINDOW_b5e0810bfecb7feb: /* @__PURE__ */ __name(function() {
      const ret = typeof window === "undefined" ? void 0 : window;
      return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
    }, "__wbg_static_accessor_WINDOW_b5e0810bfecb7feb"),
    __wbg_statusText_f5d9635edef1913e: /* @__PURE__ */ __name(function(arg0, arg1) {
      const ret = arg1.statusText;
      const ptr1 = passStringToWasm0(ret, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
      const len1 = WASM_VECTOR_LEN;
      getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 1, len1, true);
      getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, ptr1, true);
    }, "__wbg_statusText_f5d9635edef1913e"),
    __wbg_status_cb85b6c8d1769fa1: /* @__PURE__ */ __name(function(arg0) {
      const ret = arg0.status;
      return ret;
    }, "__wbg_status_cb85b6c8d1769fa1"),
    __wbg_stringify_0a0fbf2ef722380a: /* @__PURE__ */ __name(function() {
      return handleError(function(arg0) {
        const ret = JSON.stringify(arg0);
        return ret;
      }, arguments);
    }, "__wbg_stringify_0a0fbf2ef722380a"),
    __wbg_subarray_58f388a9247ac0bb: /* @__PURE__ */ __name(function(arg0, arg1, arg2) {
      const ret = arg0.subarray(arg1 >>> 0, arg2 >>> 0);
      return ret;
    }, "__wbg_subarray_58f388a9247ac0bb"),
    __wbg_text_5240eb2c41de8292: /* @__PURE__ */ __name(function() {
      return handleError(function(arg0) {
        const ret = arg0.text();
        return ret;
      }, arguments);
    }, "__wbg_text_5240eb2c41de8292"),
    __wbg_then_656f253a5dd7d8ea: /* @__PURE__ */ __name(function(arg0, arg1, arg2) {
      const ret = arg0.then(arg1, arg2);
      return ret;
    }, "__wbg_then_656f253a5dd7d8ea"),
    __wbg_then_e3f7f2d365708be8: /* @__PURE__ */ __name(function(arg0, arg1) {
      const ret = arg0.then(arg1);
      return ret;
    }, "__wbg_then_e3f7f2d365708be8"),
    __wbg_toLowerCase_c0c7c927b41fa95c: /* @__PURE__ */ __name(function(arg0) {
      const ret = arg0.toLowerCase();
      return ret;
    }, "__wbg_toLowerCase_c0c7c927b41fa95c"),
    __wbg_url_1be993c7b186415b: /* @__PURE__ */ __name(function(arg0, arg1) {
      const ret = arg1.url;
      const ptr1 = passStringToWasm0(ret, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
      const len1 = WASM_VECTOR_LEN;
      getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 1, len1, true);
      getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, ptr1, true);
    }, "__wbg_url_1be993c7b186415b"),
    __wbg_verify_613b473343b77515: /* @__PURE__ */ __name(function() {
      return handleError(function(arg0, arg1, arg2, arg3) {
        const ret = crypto.subtle.verify(arg0, arg1, arg2, arg3);
        return ret;
      }, arguments);
    }, "__wbg_verify_613b473343b77515"),
    __wbg_versions_6e128a981b0df859: /* @__PURE__ */ __name(function(arg0) {
      const ret = arg0.versions;
      return ret;
    }, "__wbg_versions_6e128a981b0df859"),
    __wbg_waitUntil_c956c01979ab9b97: /* @__PURE__ */ __name(function(arg0, arg1) {
      arg0.waitUntil(arg1);
    }, "__wbg_waitUntil_c956c01979ab9b97"),
    __wbg_writable_9e4740dc4a808f89: /* @__PURE__ */ __name(function(arg0) {
      const ret = arg0.writable;
      return ret;
    }, "__wbg_writable_9e4740dc4a808f89"),
    __wbg_write_eb694c46174356a6: /* @__PURE__ */ __name(function(arg0, arg1) {
      const ret = arg0.write(arg1);
      return ret;
    }, "__wbg_write_eb694c46174356a6"),
    __wbindgen_generic_0000000000000001: /* @__PURE__ */ __name(function(arg0, arg1) {
      const ret = makeMutClosure(arg0, arg1, wasm_bindgen_638bef72d50281e9___convert__closures_____invoke___wasm_bindgen_638bef72d50281e9___JsValue__core_c92758e86bbac992___result__Result_____wasm_bindgen_638bef72d50281e9___JsError___true_);
      return ret;
    }, "__wbindgen_generic_0000000000000001"),
    __wbindgen_generic_0000000000000002: /* @__PURE__ */ __name(function(arg0) {
      const ret = arg0;
      return ret;
    }, "__wbindgen_generic_0000000000000002"),
    __wbindgen_generic_0000000000000003: /* @__PURE__ */ __name(function(arg0, arg1) {
      const ret = getArrayU8FromWasm0(arg0, arg1);
      return ret;
    }, "__wbindgen_generic_0000000000000003"),
    __wbindgen_generic_0000000000000004: /* @__PURE__ */ __name(function(arg0, arg1) {
      const ret = getStringFromWasm0(arg0, arg1);
      return ret;
    }, "__wbindgen_generic_0000000000000004"),
    __wbindgen_init_externref_table: /* @__PURE__ */ __name(function() {
      const table = wasm.__wbindgen_externrefs;
      table.set(0, void 0);
      table.set(1024, void 0);
      table.set(1025, null);
      table.set(1026, true);
      table.set(1027, false);
    }, "__wbindgen_init_externref_table")
  };
  return {
    __proto__: null,
    "./keygate_edge_bg.js": import0
  };
}
__name(__wbg_get_imports, "__wbg_get_imports");
function __wbg_call_guard() {
  if (__wbg_reinit_scheduled) {
    __wbg_reset_state();
    return;
  }
}
__name(__wbg_call_guard, "__wbg_call_guard");
function wasm_bindgen_638bef72d50281e9___convert__closures_____invoke___wasm_bindgen_638bef72d50281e9___JsValue__core_c92758e86bbac992___result__Result_____wasm_bindgen_638bef72d50281e9___JsError___true_(arg0, arg1, arg2) {
  let ret;
  __wbg_call_guard();
  ret = wasm.wasm_bindgen_638bef72d50281e9___convert__closures_____invoke___wasm_bindgen_638bef72d50281e9___JsValue__core_c92758e86bbac992___result__Result_____wasm_bindgen_638bef72d50281e9___JsError___true_(arg0, arg1, arg2);
  if (ret[1]) {
    throw takeFromExternrefTable0(ret[0]);
  }
}
__name(wasm_bindgen_638bef72d50281e9___convert__closures_____invoke___wasm_bindgen_638bef72d50281e9___JsValue__core_c92758e86bbac992___result__Result_____wasm_bindgen_638bef72d50281e9___JsError___true_, "wasm_bindgen_638bef72d50281e9___convert__closures_____invoke___wasm_bindgen_638bef72d50281e9___JsValue__core_c92758e86bbac992___result__Result_____wasm_bindgen_638bef72d50281e9___JsError___true_");
function wasm_bindgen_638bef72d50281e9___convert__closures_____invoke___js_sys_a152993e2aea1cd4___Function_fn_wasm_bindgen_638bef72d50281e9___JsValue_____wasm_bindgen_638bef72d50281e9___sys__Undefined___js_sys_a152993e2aea1cd4___Function_fn_wasm_bindgen_638bef72d50281e9___JsValue_____wasm_bindgen_638bef72d50281e9___sys__Undefined_______true_(arg0, arg1, arg2, arg3) {
  __wbg_call_guard();
  wasm.wasm_bindgen_638bef72d50281e9___convert__closures_____invoke___js_sys_a152993e2aea1cd4___Function_fn_wasm_bindgen_638bef72d50281e9___JsValue_____wasm_bindgen_638bef72d50281e9___sys__Undefined___js_sys_a152993e2aea1cd4___Function_fn_wasm_bindgen_638bef72d50281e9___JsValue_____wasm_bindgen_638bef72d50281e9___sys__Undefined_______true_(arg0, arg1, arg2, arg3);
}
__name(wasm_bindgen_638bef72d50281e9___convert__closures_____invoke___js_sys_a152993e2aea1cd4___Function_fn_wasm_bindgen_638bef72d50281e9___JsValue_____wasm_bindgen_638bef72d50281e9___sys__Undefined___js_sys_a152993e2aea1cd4___Function_fn_wasm_bindgen_638bef72d50281e9___JsValue_____wasm_bindgen_638bef72d50281e9___sys__Undefined_______true_, "wasm_bindgen_638bef72d50281e9___convert__closures_____invoke___js_sys_a152993e2aea1cd4___Function_fn_wasm_bindgen_638bef72d50281e9___JsValue_____wasm_bindgen_638bef72d50281e9___sys__Undefined___js_sys_a152993e2aea1cd4___Function_fn_wasm_bindgen_638bef72d50281e9___JsValue_____wasm_bindgen_638bef72d50281e9___sys__Undefined_______true_");
var __wbg_instance_id = 0;
var LimiterCoreFinalization = typeof FinalizationRegistry === "undefined" ? { register: /* @__PURE__ */ __name(() => {
}, "register"), unregister: /* @__PURE__ */ __name(() => {
}, "unregister") } : new FinalizationRegistry(({ ptr, instance }) => {
  if (instance === __wbg_instance_id) wasm.__wbg_limitercore_free(ptr, 1);
});
function addToExternrefTable0(obj) {
  const idx = wasm.__externref_table_alloc();
  wasm.__wbindgen_externrefs.set(idx, obj);
  return idx;
}
__name(addToExternrefTable0, "addToExternrefTable0");
var CLOSURE_DTORS = typeof FinalizationRegistry === "undefined" ? { register: /* @__PURE__ */ __name(() => {
}, "register"), unregister: /* @__PURE__ */ __name(() => {
}, "unregister") } : new FinalizationRegistry((state) => {
  if (state.instance === __wbg_instance_id) {
    wasm.__wbindgen_destroy_closure(state.a, state.b);
  }
});
function getArrayU8FromWasm0(ptr, len) {
  ptr = ptr >>> 0;
  return getUint8ArrayMemory0().subarray(ptr / 1, ptr / 1 + len);
}
__name(getArrayU8FromWasm0, "getArrayU8FromWasm0");
var cachedDataViewMemory0 = null;
function getDataViewMemory0() {
  if (cachedDataViewMemory0 === null || cachedDataViewMemory0.buffer.detached === true || cachedDataViewMemory0.buffer.detached === void 0 && cachedDataViewMemory0.buffer !== wasm.memory.buffer) {
    cachedDataViewMemory0 = new DataView(wasm.memory.buffer);
  }
  return cachedDataViewMemory0;
}
__name(getDataViewMemory0, "getDataViewMemory0");
function getStringFromWasm0(ptr, len) {
  ptr = ptr >>> 0;
  return decodeText(getUint8ArrayMemory0().subarray(ptr, ptr + len));
}
__name(getStringFromWasm0, "getStringFromWasm0");
var cachedUint8ArrayMemory0 = null;
function getUint8ArrayMemory0() {
  if (cachedUint8ArrayMemory0 === null || cachedUint8ArrayMemory0.byteLength === 0) {
    cachedUint8ArrayMemory0 = new Uint8Array(wasm.memory.buffer);
  }
  return cachedUint8ArrayMemory0;
}
__name(getUint8ArrayMemory0, "getUint8ArrayMemory0");
function handleError(f, args) {
  try {
    return f.apply(this, args);
  } catch (e) {
    const idx = addToExternrefTable0(e);
    wasm.__wbindgen_exn_store(idx);
  }
}
__name(handleError, "handleError");
function isLikeNone(x) {
  return x === void 0 || x === null;
}
__name(isLikeNone, "isLikeNone");
function makeMutClosure(arg0, arg1, f) {
  const state = { a: arg0, b: arg1, cnt: 1, instance: __wbg_instance_id };
  const real = /* @__PURE__ */ __name((...args) => {
    if (state.instance !== __wbg_instance_id) {
      throw new Error("Cannot invoke closure from previous WASM instance");
    }
    state.cnt++;
    const a = state.a;
    state.a = 0;
    try {
      return f(a, state.b, ...args);
    } finally {
      state.a = a;
      real._wbg_cb_unref();
    }
  }, "real");
  real._wbg_cb_unref = () => {
    if (--state.cnt === 0) {
      wasm.__wbindgen_destroy_closure(state.a, state.b);
      state.a = 0;
      CLOSURE_DTORS.unregister(state);
    }
  };
  CLOSURE_DTORS.register(real, state, state);
  return real;
}
__name(makeMutClosure, "makeMutClosure");
function passStringToWasm0(arg, malloc, realloc) {
  if (realloc === void 0) {
    const buf = cachedTextEncoder.encode(arg);
    const ptr2 = malloc(buf.length, 1) >>> 0;
    getUint8ArrayMemory0().subarray(ptr2, ptr2 + buf.length).set(buf);
    WASM_VECTOR_LEN = buf.length;
    return ptr2;
  }
  let len = arg.length;
  let ptr = malloc(len, 1) >>> 0;
  const mem = getUint8ArrayMemory0();
  let offset = 0;
  for (; offset < len; offset++) {
    const code = arg.charCodeAt(offset);
    if (code > 127) break;
    mem[ptr + offset] = code;
  }
  if (offset !== len) {
    if (offset !== 0) {
      arg = arg.slice(offset);
    }
    ptr = realloc(ptr, len, len = offset + arg.length * 3, 1) >>> 0;
    const view = getUint8ArrayMemory0().subarray(ptr + offset, ptr + len);
    const ret = cachedTextEncoder.encodeInto(arg, view);
    offset += ret.written;
    ptr = realloc(ptr, len, offset, 1) >>> 0;
  }
  WASM_VECTOR_LEN = offset;
  return ptr;
}
__name(passStringToWasm0, "passStringToWasm0");
var __wbg_reinit_scheduled = false;
function takeFromExternrefTable0(idx) {
  const value = wasm.__wbindgen_externrefs.get(idx);
  wasm.__externref_table_dealloc(idx);
  return value;
}
__name(takeFromExternrefTable0, "takeFromExternrefTable0");
var cachedTextDecoder = new TextDecoder("utf-8", { ignoreBOM: true });
cachedTextDecoder.decode();
var MAX_SAFARI_DECODE_BYTES = 2146435072;
var numBytesDecoded = 0;
function decodeText(bytes) {
  numBytesDecoded += bytes.length;
  if (numBytesDecoded >= MAX_SAFARI_DECODE_BYTES) {
    cachedTextDecoder = new TextDecoder("utf-8", { ignoreBOM: true });
    cachedTextDecoder.decode();
    numBytesDecoded = bytes.length;
  }
  return cachedTextDecoder.decode(bytes);
}
__name(decodeText, "decodeText");
var cachedTextEncoder = new TextEncoder();
if (!("encodeInto" in cachedTextEncoder)) {
  cachedTextEncoder.encodeInto = function(arg, view) {
    const buf = cachedTextEncoder.encode(arg);
    view.set(buf);
    return {
      read: arg.length,
      written: buf.length
    };
  };
}
var WASM_VECTOR_LEN = 0;
var wasmModule;
var wasmInstance;
var wasm;
function __wbg_finalize_init(instance, module2) {
  wasmInstance = instance;
  wasm = instance.exports;
  wasmModule = module2;
  cachedDataViewMemory0 = null;
  cachedUint8ArrayMemory0 = null;
  wasm.__wbindgen_start();
  return wasm;
}
__name(__wbg_finalize_init, "__wbg_finalize_init");
async function __wbg_load(module2, imports) {
  if (typeof Response === "function" && module2 instanceof Response) {
    if (!module2.ok) {
      throw new Error(`failed to fetch Wasm: ${module2.status} ${module2.statusText} fetching '${module2.url}'`);
    }
    if (typeof WebAssembly.instantiateStreaming === "function") {
      try {
        return await WebAssembly.instantiateStreaming(module2, imports);
      } catch (e) {
        const validResponse = expectedResponseType(module2.type);
        if (validResponse && module2.headers.get("Content-Type") !== "application/wasm") {
          console.warn("`WebAssembly.instantiateStreaming` failed because your server does not serve Wasm with `application/wasm` MIME type. Falling back to `WebAssembly.instantiate` which is slower. Original error:\n", e);
        } else {
          throw e;
        }
      }
    }
    const bytes = await module2.arrayBuffer();
    return await WebAssembly.instantiate(bytes, imports);
  } else {
    const instance = await WebAssembly.instantiate(module2, imports);
    if (instance instanceof WebAssembly.Instance) {
      return { instance, module: module2 };
    } else {
      return instance;
    }
  }
  function expectedResponseType(type) {
    switch (type) {
      case "basic":
      case "cors":
      case "default":
        return true;
    }
    return false;
  }
  __name(expectedResponseType, "expectedResponseType");
}
__name(__wbg_load, "__wbg_load");
function initSync(module2) {
  if (wasm !== void 0) return wasm;
  if (module2 !== void 0) {
    if (Object.getPrototypeOf(module2) === Object.prototype) {
      ({ module: module2 } = module2);
    } else {
      console.warn("using deprecated parameters for `initSync()`; pass a single object instead");
    }
  }
  const imports = __wbg_get_imports();
  if (!(module2 instanceof WebAssembly.Module)) {
    module2 = new WebAssembly.Module(module2);
  }
  const instance = new WebAssembly.Instance(module2, imports);
  return __wbg_finalize_init(instance, module2);
}
__name(initSync, "initSync");
var __wbg_init_promise;
async function __wbg_init(module_or_path) {
  if (wasm !== void 0) return wasm;
  if (__wbg_init_promise === void 0) {
    __wbg_init_promise = __wbg_init_once(module_or_path);
    __wbg_init_promise.catch(() => {
      __wbg_init_promise = void 0;
    });
  }
  return __wbg_init_promise;
}
__name(__wbg_init, "__wbg_init");
async function __wbg_init_once(module_or_path) {
  if (module_or_path !== void 0) {
    if (Object.getPrototypeOf(module_or_path) === Object.prototype) {
      ({ module_or_path } = module_or_path);
    } else {
      console.warn("using deprecated parameters for the initialization function; pass a single object instead");
    }
  }
  if (module_or_path === void 0) {
    module_or_path = new URL("keygate_edge_bg.wasm", import.meta.url);
  }
  const imports = __wbg_get_imports();
  if (typeof module_or_path === "string" || typeof Request === "function" && module_or_path instanceof Request || typeof URL === "function" && module_or_path instanceof URL) {
    module_or_path = fetch(module_or_path);
  }
  const { instance, module: module2 } = await __wbg_load(await module_or_path, imports);
  return __wbg_finalize_init(instance, module2);
}
__name(__wbg_init_once, "__wbg_init_once");

// ../edge/build/admin/core.js
initSync({ module: wasmModule2 });
var generation = 0;
var broken = false;
function trapped(e) {
  if (e instanceof WebAssembly.RuntimeError) {
    console.error("Keygate: the wasm module trapped; the next event starts a fresh instance");
    broken = true;
  }
}
__name(trapped, "trapped");
function ready() {
  if (broken) {
    __wbg_reset_state();
    broken = false;
    generation += 1;
  }
}
__name(ready, "ready");
addEventListener("error", (e) => trapped(e.error));
addEventListener("unhandledrejection", (e) => trapped(e.reason));
function respond(answer) {
  if (!Array.isArray(answer)) return answer;
  return new Response(answer[2], { status: answer[0], headers: JSON.parse(answer[1]) });
}
__name(respond, "respond");
function failed(e) {
  trapped(e);
  throw e;
}
__name(failed, "failed");
function currentGeneration() {
  return generation;
}
__name(currentGeneration, "currentGeneration");
function call(run) {
  ready();
  try {
    return run().then(respond, failed);
  } catch (e) {
    failed(e);
  }
}
__name(call, "call");
function fetchEvent(request, env, ctx) {
  const headers = JSON.stringify([...request.headers]);
  return call(() => fetch2(request, headers, env, ctx));
}
__name(fetchEvent, "fetchEvent");

// ../edge/build/admin/index.js
var AdminPlane = class extends WorkerEntrypoint {
  static {
    __name(this, "AdminPlane");
  }
  fetch(request) {
    return fetchEvent(request, this.env, this.ctx);
  }
  // Expiry notices, the purge and KV's reconciliation (the front's cron).
  cron() {
    return call(() => keygate_edge_exports.scheduled(this.env));
  }
  // Should a cron trigger be configured here instead, the same run.
  scheduled() {
    return this.cron();
  }
};
var KeyLimiter = class extends DurableObject {
  static {
    __name(this, "KeyLimiter");
  }
  constructor(ctx, env) {
    super(ctx, env);
    this.storage = ctx.storage;
    this.core = null;
    this.generation = -1;
    const seconds = Number(env.LIMITER_FORGET_AFTER_SECONDS);
    this.forgetAfterMs = Number.isInteger(seconds) && seconds > 0 ? seconds * 1e3 : keygate_edge_exports.forget_after_ms();
  }
  // The core, with its stored state read. The runtime holds other events
  // back while the read is pending (input gate), so it is read once.
  async loaded() {
    ready();
    if (this.generation !== currentGeneration()) {
      this.core = new keygate_edge_exports.LimiterCore();
      this.generation = currentGeneration();
    }
    if (!this.core.loaded()) {
      const stored = await this.storage.get("s");
      this.core.load(typeof stored === "string" ? stored : void 0);
    }
    return this.core;
  }
  // One verification: the LimitRequest's JSON in, the LimitAnswer's out.
  async decide(request) {
    const core = await this.loaded();
    let decided;
    try {
      decided = core.decide(String(request), Date.now());
    } catch (e) {
      trapped(e);
      throw e instanceof WebAssembly.RuntimeError ? e : new Error(String(e));
    }
    const [answer, state] = decided;
    this.storage.put("s", state);
    return answer;
  }
  // Every key of this limiter was deleted: refuse from now on, and clear
  // the storage once no stale copy of a key can call any more.
  async forget() {
    const core = await this.loaded();
    let state;
    try {
      state = core.forget(Date.now());
    } catch (e) {
      trapped(e);
      throw e instanceof WebAssembly.RuntimeError ? e : new Error(String(e));
    }
    this.storage.put("s", state);
    if (await this.storage.getAlarm() === null) {
      await this.storage.setAlarm(Date.now() + this.forgetAfterMs);
    }
  }
  async alarm() {
    await this.storage.deleteAll();
    this.core = null;
    this.generation = -1;
  }
};
export {
  KeyLimiter,
  AdminPlane as default
};
//# sourceMappingURL=index.js.map
