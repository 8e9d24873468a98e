/**
 * The preload: exposes exactly one object, window.chexdesk (a PreloadBridge from main/api.ts), through
 * contextBridge. It runs sandboxed: no Node, only these three functions cross into the page.
 */
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import { IPC_EVENT_CHANNEL, IPC_INVOKE_CHANNEL, PRELOAD_GLOBAL, type ApiEvent, type ApiMethod, type IpcEnvelope, type PreloadBridge } from '../main/api';

const bridge: PreloadBridge = {
  invoke: (method: ApiMethod, args: unknown) => ipcRenderer.invoke(IPC_INVOKE_CHANNEL, method, args) as Promise<IpcEnvelope<unknown>>,
  onEvent: (listener: (event: ApiEvent) => void) => {
    const handler = (_e: IpcRendererEvent, event: ApiEvent) => listener(event);
    ipcRenderer.on(IPC_EVENT_CHANNEL, handler);
    return () => ipcRenderer.removeListener(IPC_EVENT_CHANNEL, handler);
  },
  pathForFile: (file: unknown) => webUtils.getPathForFile(file as File),
};

contextBridge.exposeInMainWorld(PRELOAD_GLOBAL, bridge);
