// CommonJS script using both entry points of the installed package (tests/consumer).
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-wasm');
const main = require('tfjs-optvis');
const nodeApi = require('tfjs-optvis/node');

async function run() {
  await tf.setBackend('wasm');
  const tensorsBefore = tf.memory().numTensors;
  const model = await nodeApi.loadDefaultModel();
  const objective = main.objectives.channel('block_13_expand_relu', 100); // from the browser entry
  const img = main.param.image(16, { seed: 0 });
  const { images, losses } = await nodeApi.renderVis(model, objective, { param: img, thresholds: [2], seed: 0 }); // from the node entry
  await nodeApi.writePng('cjs.png', images[0]);
  let errorCrossesEntries = false;
  try {
    nodeApi.param.image(-1);
  } catch (e) {
    errorCrossesEntries = e instanceof main.OptvisError;
  }
  img.dispose();
  // The native convolutions that `npm install` built inside the installed package.
  const nativeState = nodeApi.useNativeKernels({ threads: 1 });
  const img2 = main.param.image(16, { seed: 0 });
  const nativeRun = await nodeApi.renderVis(model, objective, { param: img2, thresholds: [2], seed: 0 });
  nodeApi.releaseNativeKernels();
  img2.dispose();
  model.dispose();
  console.log(
    JSON.stringify({
      losses,
      shape: images[0].shape,
      sameClasses: main.OptvisError === nodeApi.OptvisError && main.Objective === nodeApi.Objective,
      errorCrossesEntries,
      objectiveCrossesEntries: objective instanceof nodeApi.Objective,
      tensorsBefore,
      tensorsAfter: tf.memory().numTensors,
      native: { active: nativeState.active, addonPath: nativeState.addonPath, losses: nativeRun.losses, activeAfterRelease: nodeApi.nativeKernelsState().active },
    }),
  );
}
run().catch((e) => {
  console.error(e);
  process.exit(1);
});
